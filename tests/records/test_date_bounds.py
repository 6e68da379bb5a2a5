"""Every date and time field has sane bounds and never answers a server error: any day of the
calendar, typed in any time zone, is either taken or refused beside its field."""

import datetime
import zoneinfo

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from records.forms import DAY_TOO_EARLY, DAY_TOO_FAR, TIME_OUT_OF_BOUNDS, DayField, WhenField
from tests.records.test_forms import _project_forms

# From the furthest ahead of UTC to the furthest behind, with the odd offsets between.
ZONES = ["Pacific/Kiritimati", "Asia/Kathmandu", "Europe/Berlin", "UTC", "America/Adak"]
# Naive: a moment as typed, in no zone yet.
ANY_MOMENT = st.datetimes(
    min_value=datetime.datetime(1, 1, 1),  # noqa: DTZ001
    max_value=datetime.datetime(9999, 12, 31, 23, 59),  # noqa: DTZ001
)


def _date_fields():
    """(form, field name, field) of every date or time field of the project's forms."""
    found = []
    for cls in _project_forms():
        for name, field in getattr(cls, "base_fields", {}).items():
            if isinstance(field, forms.DateField | forms.DateTimeField):
                found.append((f"{cls.__module__}.{cls.__name__}", name, field))
    return found


DATE_FIELDS = _date_fields()


def test_the_project_has_date_fields_to_check():
    names = {name for _, name, _ in DATE_FIELDS}
    assert {"onset_at", "measured_at", "held_on", "withdrawn_on", "screened_on"} <= names


@settings(max_examples=150, deadline=None)
@given(moment=ANY_MOMENT, zone=st.sampled_from(ZONES), as_day=st.booleans())
def test_any_typed_date_is_taken_or_refused_never_an_error(moment, zone, as_day):
    typed = moment.strftime("%Y-%m-%d" if as_day else "%Y-%m-%dT%H:%M").rjust(10, "0")
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        for form, name, field in DATE_FIELDS:
            try:
                value = field.clean(typed)
            except ValidationError:
                continue
            except Exception as error:  # noqa: BLE001 - any other is the failure tested for
                pytest.fail(f"{form}.{name} answered {typed!r} in {zone} with {error!r}")
            # A day or time of the study is within its bounds (a date of birth is judged by its
            # form: a person alive today, tests/participants).
            if value is not None and isinstance(field, WhenField | DayField):
                assert 2015 <= value.year <= timezone.now().year + 100, (form, name, typed)


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("typed", ["0001-01-01T00:00", "1899-12-31T23:59", "9999-12-31T23:59"])
def test_a_time_at_the_calendars_ends_is_refused_beside_the_field(zone, typed):
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        with pytest.raises(ValidationError) as refused:
            WhenField().clean(typed)
    assert refused.value.messages == [TIME_OUT_OF_BOUNDS]


@pytest.mark.parametrize(
    "typed, message",
    [("0001-01-01", DAY_TOO_EARLY), ("2014-12-31", DAY_TOO_EARLY), ("9999-12-31", DAY_TOO_FAR)],
)
def test_a_day_out_of_the_studys_bounds_is_refused(typed, message):
    with pytest.raises(ValidationError) as refused:
        DayField().clean(typed)
    assert refused.value.messages == [message]


# --- Through the pages, with the site in a zone whose offset overflows at year 1 -------------


@pytest.fixture
def berlin(site1):
    site1.time_zone = "Europe/Berlin"
    site1.save()
    return site1


@pytest.mark.django_db
@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(moment=ANY_MOMENT)
def test_an_adverse_event_onset_of_any_year_never_answers_500(
    client, berlin, therapist, participant1, moment
):
    client.force_login(therapist)
    response = client.post(
        reverse("safety:ae_create") + f"?participant={participant1.pk}",
        {
            "participant": participant1.pk,
            "verbatim_term": "Headache",
            "onset_at": moment.strftime("%Y-%m-%dT%H:%M").rjust(16, "0"),
            "description": "",
        },
    )
    assert response.status_code in (200, 302)


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["0001-01-01T00:00", "2014-06-01T10:00"])
def test_an_adverse_event_before_the_study_is_refused_beside_the_onset(
    client, berlin, therapist, participant1, typed
):
    client.force_login(therapist)
    response = client.post(
        reverse("safety:ae_create") + f"?participant={participant1.pk}",
        {"participant": participant1.pk, "verbatim_term": "Headache", "onset_at": typed},
    )
    assert response.status_code == 200
    assert TIME_OUT_OF_BOUNDS in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["screening:log", "screening:list"])
def test_a_period_at_the_calendars_ends_lists_without_an_error(client, berlin, therapist, page):
    client.force_login(therapist)
    response = client.get(
        reverse(page), {"period_after": "0001-01-01", "period_before": "9999-12-31"}
    )
    assert response.status_code == 200

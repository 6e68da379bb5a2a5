"""A page about one record is in the time zone of the record's site, for users of several zones.

Site 1 is in Chicago and site 2 in Tokyo; the server's zone (UTC) is neither. The medical monitor
works across both sites, and so does the investigator of site 1 once they also join site 2: the
middleware gives them no zone of their own, so each page about a record must switch to its site's.
"""

import datetime
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.selectors import user_scope
from safety import services as safety_services
from safety.models import AdverseEvent
from sessions_app.models import Visit
from sessions_app.services import flowsheet
from sessions_app.services.notes import integration_note_write
from sessions_app.services.visits import visit_schedule_create
from tests.accounts.factories import MembershipFactory
from tests.screening.factories import StudyScreeningConfigFactory, screened_attempt
from tests.sessions_app.factories import dosed_session_of

pytestmark = pytest.mark.django_db

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
UTC = datetime.UTC
# 20:30 UTC on 15 January 2025: 14:30 that day in Chicago (CST), 05:30 the next day in Tokyo (JST).
ONSET = datetime.datetime(2025, 1, 15, 20, 30, tzinfo=UTC)
AE_LIST = reverse("safety:ae_list")
AE_CREATE = reverse("safety:ae_create")


def _shown(value: datetime.datetime, zone) -> str:
    """A datetime as the pages show it ("d M Y H:i") in `zone`."""
    return timezone.localtime(value, zone).strftime("%d %b %Y %H:%M")


@pytest.fixture(autouse=True)
def server_in_utc(settings):
    """The server's zone is neither site's, so a page in the server's zone shows other times."""
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def chicago(site1):
    site1.time_zone = "America/Chicago"
    site1.save()
    return site1


@pytest.fixture
def tokyo(site2):
    site2.time_zone = "Asia/Tokyo"
    site2.save()
    return site2


@pytest.fixture
def investigator_of_two_zones(investigator, chicago, tokyo):
    """The investigator of site 1 (Chicago), who is also investigator at site 2 (Tokyo)."""
    MembershipFactory(user=investigator, role=Role.INVESTIGATOR, site=tokyo, study=tokyo.study)
    return investigator


@pytest.fixture
def monitor_of_two_zones(monitor, chicago, tokyo):
    return monitor


@pytest.fixture(params=["monitor_of_two_zones", "investigator_of_two_zones"])
def user_of_two_zones(request):
    user = request.getfixturevalue(request.param)
    assert user_scope(user).time_zone is None  # the middleware leaves them in the server's zone
    return user


def _draft(actor, participant, **overrides):
    values = {"verbatim_term": "Nausea", "onset_at": ONSET, "description": ""}
    values.update(overrides)
    return safety_services.adverse_event_draft_create(
        actor=actor, participant=participant, **values
    )


# --- Adverse events -----------------------------------------------------------------------------


def test_an_ae_of_the_chicago_site_shows_its_onset_in_chicago_time(
    login, user_of_two_zones, therapist, participant1
):
    ae = _draft(therapist, participant1)
    page = login(user_of_two_zones).get(reverse("safety:ae_detail", args=[ae.pk]))
    content = page.content.decode()
    assert "15 Jan 2025 14:30" in content
    assert "15 Jan 2025 20:30" not in content
    assert 'data-testid="time-zone"' in content
    assert "times in America/Chicago" in content


@pytest.mark.parametrize(
    ("participant_fixture", "typed"),
    [("participant1", "2025-01-15T14:30"), ("participant2", "2025-01-16T05:30")],
    ids=["chicago", "tokyo"],
)
def test_an_onset_typed_by_a_user_of_two_zones_is_the_participants_site_time(
    request, login, investigator_of_two_zones, participant_fixture, typed
):
    participant = request.getfixturevalue(participant_fixture)
    client = login(investigator_of_two_zones)
    url = f"{AE_CREATE}?participant={participant.pk}"
    page = client.get(url).content.decode()
    assert f"times in {participant.site.time_zone}" in page
    response = client.post(
        url,
        {"verbatim_term": "Nausea", "onset_at": typed, "aware_at": typed, "description": ""},
    )
    assert response.status_code == 302
    ae = AdverseEvent.objects.get(participant=participant)
    assert ae.onset_at == ae.aware_at == ONSET


def test_editing_an_onset_shows_and_reads_it_in_the_sites_time(
    login, investigator_of_two_zones, therapist, participant1
):
    ae = _draft(therapist, participant1)
    url = reverse("safety:ae_edit", args=[ae.pk])
    client = login(investigator_of_two_zones)
    page = client.get(url).content.decode()
    assert 'value="2025-01-15T14:30"' in page
    assert "times in America/Chicago" in page
    response = client.post(
        url,
        {
            "version": ae.version,
            "verbatim_term": "Nausea",
            "onset_at": "2025-01-15T15:00",
            "aware_at": "2025-01-15T16:00",
            "description": "",
            "reason": "",
        },
    )
    assert response.status_code == 302
    ae.refresh_from_db()
    assert ae.onset_at == ONSET + datetime.timedelta(minutes=30)
    assert ae.aware_at == ONSET + datetime.timedelta(minutes=90)


def test_a_draft_from_a_reading_is_prefilled_in_the_sites_time(
    login, investigator_of_two_zones, therapist, participant1
):
    session = dosed_session_of(participant1, therapist, investigator_of_two_zones)
    reading = flowsheet.vital_sign_record(
        actor=therapist,
        session=session,
        measured_at=session.started_at + datetime.timedelta(minutes=40),
        systolic=172,
        diastolic=95,
    )
    response = login(investigator_of_two_zones).get(f"{AE_CREATE}?reading={reading.pk}")
    page = response.content.decode()
    at_site = timezone.localtime(reading.measured_at, CHICAGO)
    assert f'value="{at_site:%Y-%m-%dT%H:%M}"' in page  # the onset input, prefilled
    assert _shown(reading.measured_at, CHICAGO) in page  # the reading it was opened from
    assert f"{timezone.localtime(reading.measured_at, UTC):%Y-%m-%dT%H:%M}" not in page
    assert "times in America/Chicago" in page


def _row_of(page: str, term: str) -> str:
    rows = page.split('data-testid="ae-row"')[1:]
    return next(row.split("</tr>")[0] for row in rows if term in row)


def test_the_ae_list_shows_each_event_in_its_sites_time(
    login, monitor_of_two_zones, therapist, therapist2, participant1, participant2
):
    _draft(therapist, participant1, verbatim_term="Jaw clenching")
    _draft(therapist2, participant2, verbatim_term="Headache")
    page = login(monitor_of_two_zones).get(AE_LIST).content.decode()
    chicago_row = _row_of(page, "Jaw clenching")
    assert "15 Jan 2025 14:30" in chicago_row
    assert "CST" in chicago_row
    tokyo_row = _row_of(page, "Headache")
    assert "16 Jan 2025 05:30" in tokyo_row
    assert "JST" in tokyo_row
    assert "15 Jan 2025 20:30" not in page


def test_the_ae_list_of_two_zones_runs_as_many_queries_for_ten_events_as_for_two(
    login,
    monitor_of_two_zones,
    therapist,
    therapist2,
    participant1,
    participant2,
    django_assert_max_num_queries,
):
    _draft(therapist, participant1)
    _draft(therapist2, participant2)
    client = login(monitor_of_two_zones)
    client.get(AE_LIST)
    with django_assert_max_num_queries(20) as two:
        client.get(AE_LIST)
    for n in range(4):
        _draft(therapist, participant1, verbatim_term=f"Chicago {n}")
        _draft(therapist2, participant2, verbatim_term=f"Tokyo {n}")
    with django_assert_max_num_queries(20) as ten:
        response = client.get(AE_LIST)
    assert len(response.context["adverse_events"]) == 10
    assert len(ten.captured_queries) == len(two.captured_queries)


# --- Participants, visits and notes -------------------------------------------------------------


def test_the_participant_page_shows_its_times_in_the_sites_time(
    login, user_of_two_zones, participant1
):
    participant1.refresh_from_db()
    page = login(user_of_two_zones).get(reverse("participants:detail", args=[participant1.pk]))
    content = page.content.decode()
    assert "times in America/Chicago" in content
    assert _shown(participant1.updated_at, CHICAGO) in content
    assert _shown(participant1.updated_at, UTC) not in content


def test_a_visit_held_in_the_future_of_the_site_is_refused_for_a_user_of_two_zones(
    login, monkeypatch, investigator_of_two_zones, therapist, participant1
):
    visit = next(
        v
        for v in visit_schedule_create(actor=therapist, participant=participant1)
        if v.kind == Visit.Kind.PREPARATORY
    )
    # The clock reads 03:00 UTC tomorrow: already tomorrow in UTC, still today in Chicago.
    tomorrow = timezone.now().astimezone(UTC).date() + datetime.timedelta(days=1)
    instant = datetime.datetime.combine(tomorrow, datetime.time(3, 0), tzinfo=UTC)
    real_localtime = timezone.localtime
    monkeypatch.setattr(
        timezone,
        "localdate",
        lambda value=None, timezone=None: real_localtime(
            instant if value is None else value, timezone
        ).date(),
    )
    url = reverse("sessions_app:visit_held", args=[visit.pk])
    client = login(investigator_of_two_zones)
    data = {"version": visit.version, "deviation_explanation": "Held on another day"}

    refused = client.post(url, {**data, "held_on": tomorrow.isoformat()})
    assert refused.status_code == 200
    assert "in the future" in str(refused.context["form"].errors["held_on"])

    today_at_site = tomorrow - datetime.timedelta(days=1)
    response = client.post(url, {**data, "held_on": today_at_site.isoformat()})
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.held_on == today_at_site


def test_the_notes_show_when_they_were_written_in_the_sites_time(
    login, investigator_of_two_zones, therapist, participant1
):
    dosed_session_of(participant1, therapist, investigator_of_two_zones)
    dosing_day = Visit.objects.get(participant=participant1, code="D1").held_on
    visit = Visit.objects.get(participant=participant1, code="I1.1")
    note = integration_note_write(
        actor=therapist,
        visit=visit,
        data={
            "themes": "Grounding",
            "participant_report": "Sleeping better",
            "cssrs_ideation": 0,
            "cssrs_behaviour": False,
            "safety_notes": "",
            "plan": "Next visit in a week",
            "free_text": "",
        },
        held_on=dosing_day,
        deviation_explanation="Seen on the dosing day",
        expected_version=None,
    )
    page = login(investigator_of_two_zones).get(reverse("sessions_app:note", args=[visit.pk]))
    content = page.content.decode()
    assert "times in America/Chicago" in content
    assert _shown(note.created_at, CHICAGO) in content
    assert _shown(note.created_at, UTC) not in content


# --- Screening, and the zone named beside each time --------------------------------------------


def test_a_screening_names_the_zone_of_its_times(login, investigator_of_two_zones, therapist):
    site = therapist.memberships.get().site
    StudyScreeningConfigFactory(study=site.study)
    attempt = screened_attempt(actor=therapist, site=site)
    page = login(investigator_of_two_zones).get(reverse("screening:detail", args=[attempt.pk]))
    content = page.content.decode()
    shown = timezone.localtime(attempt.submitted_at, CHICAGO)
    assert f"submitted {shown:%Y-%m-%d %H:%M} {shown.tzname()}" in content
    assert " UTC" not in content  # the times are not the server's

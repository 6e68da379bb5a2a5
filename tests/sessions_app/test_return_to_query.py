"""A correction page opened from a query (`?next=<path>`) returns there once saved and links back
to it; a `next` off this site is ignored, and the page returns to the flowsheet as before."""

import datetime
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from sessions_app.models import Observation
from sessions_app.services import flowsheet
from tests.sessions_app.factories import initial_of
from tests.sessions_app.pages import dose_form, dose_url, flowsheet_url, local

pytestmark = pytest.mark.django_db

QUERY_PAGE = "/queries/7/"
MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def reading(dosed_session, therapist):
    return flowsheet.vital_sign_record(
        actor=therapist,
        session=dosed_session,
        measured_at=timezone.now() - 10 * MINUTE,
        systolic=128,
        diastolic=82,
        pulse=70,
    )


@pytest.fixture
def observation(dosed_session, therapist):
    return flowsheet.observation_record(
        actor=therapist,
        session=dosed_session,
        observed_at=timezone.now() - 10 * MINUTE,
        kind=Observation.Kind.OBSERVATION,
        text="Restless, asks for water.",
    )


def _reading_page(reading):
    url = reverse("sessions_app:reading_edit", args=[reading.pk])
    data = {
        "version": reading.version,
        "measured_at": local(reading.measured_at),
        "systolic": "131",
        "diastolic": "82",
        "pulse": "70",
        "reason": "Misread the cuff",
    }
    return url, data, flowsheet_url(reading.session) + "#readings"


def _dose_page(dosed_session):
    dose = initial_of(dosed_session)
    return dose_url(dose), dose_form(dose, kit_number="KIT-2002"), flowsheet_url(dosed_session)


def _observation_page(observation):
    url = reverse("sessions_app:observation_edit", args=[observation.pk])
    data = {
        "version": observation.version,
        "observed_at": local(observation.observed_at),
        "kind": Observation.Kind.INTERVENTION,
        "text": "Restless; offered water.",
        "reason": "Intervention left out",
    }
    return url, data, flowsheet_url(observation.session) + "#observations"


PAGES = {"reading": _reading_page, "dose": _dose_page, "observation": _observation_page}
RECORDS = {"reading": "reading", "dose": "dosed_session", "observation": "observation"}


@pytest.mark.parametrize("kind", PAGES)
def test_a_correction_opened_from_a_query_returns_to_it(login, request, therapist, kind):
    url, data, flowsheet_page = PAGES[kind](request.getfixturevalue(RECORDS[kind]))
    client = login(therapist)
    opened = html.unescape(client.get(url, {"next": QUERY_PAGE}).content.decode())
    assert f'href="{QUERY_PAGE}" data-testid="return-link">Back to the query</a>' in opened
    # The form posts to the address it was opened at, `next` included (no action of its own).
    forms = [tag for tag in re.findall(r"<form[^>]*>", opened) if "data-logout" not in tag]
    assert forms and not any("action=" in tag for tag in forms)
    saved = client.post(f"{url}?next={QUERY_PAGE}", data)
    assert saved.status_code == 302
    assert saved["Location"] == QUERY_PAGE
    assert "return-link" not in client.get(url).content.decode()


@pytest.mark.parametrize("target", ["https://elsewhere.example/", "//elsewhere.example/", "x/"])
def test_a_next_off_this_site_is_ignored(login, therapist, reading, target):
    url, data, flowsheet_page = _reading_page(reading)
    client = login(therapist)
    assert "return-link" not in client.get(url, {"next": target}).content.decode()
    saved = client.post(url + "?" + f"next={target}", data)
    assert saved["Location"] == flowsheet_page

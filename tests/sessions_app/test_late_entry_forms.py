"""Late entries on an ended session: the forms offer the session's times, not now."""

import datetime

import pytest
from django.utils import timezone

from sessions_app.models import Observation
from tests.sessions_app.pages import field_error, flowsheet_url, input_tag, local

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)


# --- Late entries on an ended session ---------------------------------------------------------


def test_late_entry_forms_do_not_offer_now_as_their_time(login, therapist, ended):
    body = login(therapist).get(flowsheet_url(ended)).content.decode()
    now = local(timezone.now())
    for name in ("reading-measured_at", "observation-observed_at"):
        tag = input_tag(body, name)
        assert "value=" not in tag, tag
        assert f'max="{local(ended.ended_at)}"' in tag
    assert now not in input_tag(body, "observation-observed_at")
    ran = f"The session ran from {timezone.localtime(ended.started_at):%d %b %Y %H:%M}"
    assert ran in body
    assert "Add a late reading" in body
    assert "Add a late observation or intervention" in body


def test_a_late_observation_is_added_with_the_time_it_happened(login, therapist, ended):
    at = ended.ended_at - 30 * MINUTE
    response = login(therapist).post(
        flowsheet_url(ended),
        {
            "action": "observation",
            "observation-observed_at": local(at),
            "observation-kind": Observation.Kind.OBSERVATION,
            "observation-text": "Nausea, settled with water.",
            "observation-reason": "Found in the paper notes.",
        },
    )
    assert response.status_code == 302
    assert ended.observations.get().text == "Nausea, settled with water."


def test_a_late_entry_without_a_time_says_which_time_to_enter(login, therapist, ended):
    body = (
        login(therapist)
        .post(
            flowsheet_url(ended),
            {
                "action": "observation",
                "observation-kind": Observation.Kind.OBSERVATION,
                "observation-text": "Nausea.",
                "observation-reason": "Found in the paper notes.",
            },
        )
        .content.decode()
    )
    assert field_error(body, "observation-observed_at") == "Enter the date and time."
    assert "Nausea." in body

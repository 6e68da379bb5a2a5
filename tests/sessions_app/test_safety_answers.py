"""No safety answer comes preselected: a pregnancy test result, C-SSRS, suicidal behaviour or
readiness for the overnight stay must be chosen, and the form says so beside the field."""

import pytest
from django.urls import reverse

from records.forms import SAFETY_ANSWER_HELP
from tests.sessions_app.pages import field_error, flowsheet_url, preselected

pytestmark = pytest.mark.django_db


PREDOSE = ["predose-pregnancy_test", "predose-cssrs_pre_ideation", "predose-cssrs_pre_behaviour"]
END = ["end-cssrs_post_ideation", "end-cssrs_post_behaviour", "end-overnight_ready"]


def test_the_pre_dose_checks_preselect_nothing(login, therapist, attested_session):
    body = login(therapist).get(flowsheet_url(attested_session)).content.decode()
    assert all(f'name="{name}"' in body for name in PREDOSE)
    assert preselected(body, PREDOSE) == {}


def test_the_pre_dose_checks_say_beside_each_answer_that_it_must_be_chosen(
    login, therapist, attested_session
):
    client = login(therapist)
    body = client.get(flowsheet_url(attested_session)).content.decode()
    assert body.count(SAFETY_ANSWER_HELP) >= 3
    response = client.post(
        flowsheet_url(attested_session),
        {"action": "predose", "predose-version": attested_session.version},
    )
    body = response.content.decode()
    for name in PREDOSE:
        message = field_error(body, name)
        assert "preselected" in message or "never taken" in message, (name, message)


def test_the_end_of_session_preselects_nothing(login, therapist, withheld):
    body = login(therapist).get(flowsheet_url(withheld)).content.decode()
    assert all(f'name="{name}"' in body for name in END)
    assert preselected(body, END) == {}


def test_the_end_of_session_says_beside_each_answer_that_it_must_be_chosen(
    login, therapist, withheld
):
    response = login(therapist).post(
        flowsheet_url(withheld), {"action": "end", "end-version": withheld.version}
    )
    body = response.content.decode()
    for name in END:
        message = field_error(body, name)
        assert "preselected" in message or "never taken" in message, (name, message)


def test_the_integration_note_preselects_no_safety_answer(login, therapist, held_dosing_session):
    from sessions_app.models import Visit

    visit = Visit.objects.get(participant=held_dosing_session.participant, code="I1.1")
    url = reverse("sessions_app:note_edit", args=[visit.pk])
    client = login(therapist)
    body = client.get(url).content.decode()
    names = ["cssrs_ideation", "cssrs_behaviour"]
    assert all(f'name="{name}"' in body for name in names)
    assert preselected(body, names) == {}
    body = client.post(url, {"held_on": visit.target_date.isoformat()}).content.decode()
    for name in names:
        message = field_error(body, name)
        assert "preselected" in message or "never taken" in message, (name, message)

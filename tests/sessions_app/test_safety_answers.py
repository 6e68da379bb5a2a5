"""A safety answer has no default: the C-SSRS ideation level of the pre-dose checks, of the end of
the session and of an integration note is chosen, and skipping it is refused beside the field."""

import re

import pytest
from django.urls import reverse

from records.forms import CSSRS_REQUIRED
from sessions_app.models import IntegrationNote
from tests.sessions_app.pages import field_error, flowsheet_url
from tests.sessions_app.test_notes import _post
from tests.sessions_app.test_notes import integration_visit as integration_visit  # fixture

pytestmark = pytest.mark.django_db


def _select(body: str, name: str) -> str:
    match = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', body, re.S)
    assert match, f"no select named {name}"
    return match.group(1)


def _chosen(options_html: str) -> list[str]:
    return re.findall(r'<option value="([^"]*)"[^>]*selected', options_html)


def test_the_predose_cssrs_is_not_preselected_and_skipping_it_is_refused(
    login, therapist, attested_session
):
    client = login(therapist)
    page = client.get(flowsheet_url(attested_session)).content.decode()
    assert _chosen(_select(page, "predose-cssrs_pre_ideation")) == [""]
    response = client.post(
        flowsheet_url(attested_session),
        {
            "action": "predose",
            "predose-version": attested_session.version,
            "predose-pregnancy_test": "negative",
            "predose-cssrs_pre_behaviour": "False",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert field_error(body, "predose-cssrs_pre_ideation") == CSSRS_REQUIRED
    attested_session.refresh_from_db()
    assert attested_session.cssrs_pre_ideation is None


def test_the_end_of_session_cssrs_is_not_preselected(login, therapist, withheld):
    page = login(therapist).get(flowsheet_url(withheld)).content.decode()
    assert _chosen(_select(page, "end-cssrs_post_ideation")) == [""]


def test_the_integration_notes_cssrs_is_the_same_choice_and_has_no_default(
    login, therapist, integration_visit
):
    client = login(therapist)
    url = reverse("sessions_app:note_edit", args=[integration_visit.pk])
    options = _select(client.get(url).content.decode(), "cssrs_ideation")
    assert _chosen(options) == [""]
    assert "5 - Active ideation with specific plan and intent" in options
    data = _post(integration_visit)
    del data["cssrs_ideation"]
    response = client.post(url, data)
    assert field_error(response.content.decode(), "cssrs_ideation") == CSSRS_REQUIRED
    assert not IntegrationNote.objects.filter(visit=integration_visit).exists()

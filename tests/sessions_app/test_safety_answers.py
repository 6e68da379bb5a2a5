"""A safety answer has no default: the C-SSRS ideation level of the pre-dose checks and of the end
of the session is chosen, and skipping it is refused beside the field."""

import re

import pytest

from records.forms import CSSRS_REQUIRED
from tests.sessions_app.pages import field_error, flowsheet_url

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

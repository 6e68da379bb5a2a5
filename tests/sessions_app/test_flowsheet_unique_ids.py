"""One id per element on the flowsheet, whatever the session's stage, refused or not."""

import collections
from html.parser import HTMLParser

import pytest

from tests.sessions_app.pages import flowsheet_url, post_reading

pytestmark = pytest.mark.django_db


# --- One id per element ----------------------------------------------------------------------


class IdCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = []

    def handle_starttag(self, tag, attrs):
        self.ids += [value for name, value in attrs if name == "id"]


def duplicate_ids(body: str) -> list[str]:
    collector = IdCollector()
    collector.feed(body)
    return [id_ for id_, count in collections.Counter(collector.ids).items() if count > 1]


@pytest.mark.parametrize("state", ["session1", "started_session", "dosed_session", "ended"])
def test_every_id_on_the_flowsheet_is_unique(request, login, therapist, state):
    session = request.getfixturevalue(state)
    client = login(therapist)
    body = client.get(flowsheet_url(session)).content.decode()
    assert duplicate_ids(body) == []


def test_every_id_is_unique_on_a_refused_flowsheet(login, therapist, dosed_session):
    body = post_reading(login(therapist), dosed_session, systolic="400").content.decode()
    assert duplicate_ids(body) == []

"""seed_scale at a tiny size: its bulk rows are valid for the pages (every list page answers for
every role), and each list page reads the database as many times at a larger size (after a warm-up
request)."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from sessions_app.models import DosingSession

pytestmark = pytest.mark.django_db

LISTS = [
    "/",
    "/participants/",
    "/screening/",
    "/screening/log/",
    "/sessions/alerts/",
    "/safety/adverse-events/",
    "/safety/review/",
    "/queries/",
]
# What each role may open (403: not its page); every page it may open answers with the data.

ROLES = ["s01-therapist1", "s01-investigator", "monitor", "datamanager", "admin"]
# What each role opens (200) and what is not its page (403).
REFUSED = {
    "s01-therapist1": {"/safety/review/"},
    "s01-investigator": {"/safety/review/"},
    "monitor": set(),
    "datamanager": {"/sessions/alerts/", "/safety/adverse-events/", "/safety/review/", "/queries/"},
    "admin": set(LISTS) - {"/", "/queries/"},
}
EXPECTED = {
    role: {path: 403 if path in refused else 200 for path in LISTS}
    for role, refused in REFUSED.items()
}


def _seed(code: str, per_site: int, readings: int, first_site: int = 1) -> None:
    call_command(
        "seed_scale",
        sites=2,
        first_site=first_site,
        participants_per_site=per_site,
        readings=readings,
        adverse_events=4 * per_site,
        queries=5 * per_site,
        study_code=code,
        password="a-long-bench-password",
        stdout=open("/dev/null", "w"),  # noqa: SIM115 - closed with the process
    )


def _reads(client, user: User, path: str, warm: bool = False) -> tuple[int, int]:
    client.force_login(user)
    if warm:
        # The first request after a log-in saves the session, and the first of the process to
        # need a content type reads it (Django caches them per process): neither grows with data.
        client.get(path)
    with CaptureQueriesContext(connection) as captured:
        status = client.get(path).status_code
    return status, len(captured.captured_queries)


def test_every_list_page_and_a_flowsheet_answer_every_role_on_seeded_data(client):
    _seed("TINY", per_site=3, readings=5)
    session = DosingSession.objects.filter(status=DosingSession.Status.ENDED).first()
    assert session.readings.count() == 5
    statuses = {
        role: {
            path: _reads(client, User.objects.get(username=f"tiny-{role}"), path)[0]
            for path in LISTS
        }
        for role in ROLES
    }
    assert statuses == EXPECTED
    therapist = User.objects.get(username="tiny-s01-therapist1")
    assert _reads(client, therapist, f"/sessions/{session.pk}/")[0] == 200


def test_the_list_pages_read_alike_with_3_and_with_20_participants_a_site(client):
    _seed("SMALL", per_site=3, readings=5)
    _seed("LARGER", per_site=20, readings=12, first_site=3)
    for small_role, larger_role in (
        ("s01-therapist1", "s03-therapist1"),
        ("s01-investigator", "s03-investigator"),
        ("monitor", "monitor"),
        ("datamanager", "datamanager"),
    ):
        for path in LISTS:
            small = _reads(client, User.objects.get(username=f"small-{small_role}"), path, True)
            larger = _reads(client, User.objects.get(username=f"larger-{larger_role}"), path, True)
            assert small[0] == larger[0], (small_role, path)
            assert larger[1] == small[1], (small_role, path, small, larger)

"""seed_scale at a tiny size: its bulk rows are valid for the pages (every list page answers for
every role), and the list pages read the database as many times at two sizes."""

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
ROLES = ["s01-therapist1", "s01-investigator", "monitor", "datamanager", "admin"]


def _seed(code: str, per_site: int, readings: int) -> None:
    call_command(
        "seed_scale",
        sites=2,
        participants_per_site=per_site,
        readings=readings,
        adverse_events=4 * per_site,
        queries=5 * per_site,
        study_code=code,
        password="a-long-bench-password",
        stdout=open("/dev/null", "w"),  # noqa: SIM115 - closed with the process
    )


def _reads(client, user: User, path: str) -> tuple[int, int]:
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        status = client.get(path).status_code
    return status, len(captured)


def test_every_list_page_and_a_flowsheet_answer_every_role_on_seeded_data(client):
    _seed("TINY", per_site=3, readings=5)
    session = DosingSession.objects.filter(status=DosingSession.Status.ENDED).first()
    therapist = User.objects.get(username="tiny-s01-therapist1")
    assert session.readings.count() == 5
    for role in ROLES:
        user = User.objects.get(username=f"tiny-{role}")
        for path in LISTS:
            status, _ = _reads(client, user, path)
            # The screening pages are site staff's and the sponsor's: a refusal is a 403.
            assert status in (200, 403), (role, path, status)
            if role != "admin" or path == "/":
                assert status == 200 or path.startswith("/s"), (role, path, status)
    status, _ = _reads(client, therapist, f"/sessions/{session.pk}/")
    assert status == 200


def test_the_list_pages_read_alike_with_3_and_with_20_participants_a_site(client):
    _seed("SMALL", per_site=3, readings=5)
    _seed("LARGER", per_site=20, readings=12)
    for role in ("s01-therapist1", "monitor", "datamanager"):
        for path in LISTS:
            small = _reads(client, User.objects.get(username=f"small-{role}"), path)
            larger = _reads(client, User.objects.get(username=f"larger-{role}"), path)
            assert small[0] == larger[0], (role, path)
            assert small[1] == larger[1], (role, path, small, larger)

"""The investigator's home page lists what waits for them at their own sites, oldest first, with
how long each has waited; in a fixed number of queries."""

import contextlib
import datetime
import re
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from safety.services import adverse_event_draft_create
from sessions_app.services import flowsheet
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.participants.factories import EnrolledParticipantFactory
from tests.screening.factories import StudyScreeningConfigFactory, screened_attempt
from tests.sessions_app.factories import dosed_session_of, reading_correct, withhold_and_end
from trialsite.worklist import waited_label

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


@contextlib.contextmanager
def at(when):
    """Everything written inside happens at `when`, as far as the services' clocks go."""
    with mock.patch("django.utils.timezone.now", return_value=when):
        yield


def _items(body: str) -> list[str]:
    """The worklist's entries, as text."""
    items = re.findall(r'<li data-testid="worklist-item">(.*?)</li>', body, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def _ended_session(participant, lead, co, ended_ago):
    session = dosed_session_of(
        participant, lead, co, started_at=timezone.now() - ended_ago - 8 * HOUR
    )
    return withhold_and_end(session, lead, timezone.now() - ended_ago)


@pytest.fixture
def waiting(study, site1, site2, participant1, participant2, therapist, investigator, therapist2):
    """At site 1: a screening submitted 3 days ago, a session ended 5 hours ago and a draft
    adverse event opened 40 minutes ago. At site 2 the same kinds, which site 1's investigator
    never sees."""
    StudyScreeningConfigFactory(study=study)
    now = timezone.now()
    with at(now - 72 * HOUR):
        screening = screened_attempt(actor=therapist, site=site1)
    session = _ended_session(participant1, therapist, investigator, 5 * HOUR)
    with at(now - datetime.timedelta(minutes=40)):
        adverse_event_draft_create(
            actor=therapist,
            participant=participant1,
            verbatim_term="Jaw clenching",
            onset_at=now - HOUR,
            description="",
        )
    # Site 2.
    screened_attempt(actor=therapist2, site=site2)
    colleague = UserFactory(username="therapist2b")
    MembershipFactory(user=colleague, role=Role.THERAPIST, site=site2, study=study)
    _ended_session(participant2, therapist2, colleague, 2 * HOUR)
    adverse_event_draft_create(
        actor=therapist2,
        participant=participant2,
        verbatim_term="Nausea",
        onset_at=now - HOUR,
        description="",
    )
    return {"screening": screening, "session": session}


def test_the_investigator_sees_what_waits_oldest_first_and_for_how_long(
    login, investigator, waiting
):
    body = login(investigator).get(reverse("home")).content.decode()
    items = _items(body)
    screening, session = waiting["screening"], waiting["session"]
    assert len(items) == 3, items
    assert items[0].startswith(f"Confirm eligibility Screening 1 of {screening.participant.label}")
    assert "waiting 3 days" in items[0]
    assert items[1].startswith("Sign the session S01-0001 · ")
    assert "waiting 5 h" in items[1]
    assert items[2].startswith("Submit the adverse event S01-0001 · Jaw clenching")
    assert "waiting 40 min" in items[2]
    assert reverse("screening:confirm", args=[screening.pk]) in body
    assert reverse("sessions_app:sign", args=[session.pk]) in body


def test_another_sites_items_are_never_listed(login, investigator, waiting):
    body = login(investigator).get(reverse("home")).content.decode()
    assert all("S02" not in item and "SCR02" not in item for item in _items(body))
    assert "Nausea" not in body


def test_a_signed_session_leaves_the_list_and_returns_when_a_late_change_voids_it(
    login, investigator, therapist, password, waiting
):
    session = waiting["session"]
    flowsheet.dosing_session_sign(
        actor=investigator, session=session, password=password, team_acknowledged=True
    )
    client = login(investigator)
    assert not any("Sign the session" in i for i in _items(client.get("/").content.decode()))
    with at(timezone.now() - 2 * HOUR):
        reading_correct(
            session.readings.first(), therapist, reason="Transcription error", systolic=124
        )
    items = [i for i in _items(client.get("/").content.decode()) if "Sign the session" in i]
    assert len(items) == 1
    assert "signature voided by a late change" in items[0]
    assert "waiting 2 h" in items[0]  # since the signature was voided, not since the end


def test_site_staff_without_the_investigators_role_have_no_worklist(login, therapist, waiting):
    body = login(therapist).get(reverse("home")).content.decode()
    assert 'data-testid="worklist"' not in body


def _home_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
    return len(queries)


def test_the_worklist_takes_the_same_number_of_queries_however_much_waits(
    login, investigator, therapist, study, site1, waiting
):
    client = login(investigator)
    client.get(reverse("home"))  # caches (content types) warmed
    before = _home_queries(client)
    participants = [
        EnrolledParticipantFactory(
            site=site1, study_code=f"S01-09{n:02d}", screening_number=f"SCR01-09{n:02d}"
        )
        for n in range(3)
    ]
    for participant in participants:
        screened_attempt(actor=therapist, site=site1)
        _ended_session(participant, therapist, investigator, 3 * HOUR)
        adverse_event_draft_create(
            actor=therapist,
            participant=participant,
            verbatim_term="Nausea",
            onset_at=timezone.now() - HOUR,
            description="",
        )
    assert len(_items(client.get(reverse("home")).content.decode())) == 12
    assert _home_queries(client) == before


@pytest.mark.parametrize(
    ("ago", "label"),
    [
        (datetime.timedelta(minutes=3), "3 min"),
        (datetime.timedelta(minutes=59), "59 min"),
        (3 * HOUR, "3 h"),
        (47 * HOUR, "47 h"),
        (50 * HOUR, "2 days"),
    ],
)
def test_how_long_it_waited_reads_roughly(ago, label):
    now = timezone.now()
    assert waited_label(now - ago, now) == label

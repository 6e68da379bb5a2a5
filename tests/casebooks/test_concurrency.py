"""Two study administrators locking one casebook at the same moment, each on their own
connection (PostgreSQL, committed for real): one locks it, the other is told; and a write racing
a lock is either saved before it or refused after it."""

import pytest

from accounts.models import Role
from casebooks import services
from participants.casebook import CasebookLocked
from participants.models import Casebook
from records.edits import StepRefused
from safety.services import adverse_event_draft_update
from tests.accounts.factories import MembershipFactory
from tests.casebooks.conftest import signed
from tests.sessions_app.test_concurrency import _run_together

pytestmark = pytest.mark.django_db(transaction=True)


def test_of_two_administrators_locking_at_once_one_wins_and_the_other_is_told(
    participant1, investigator, study_admin, study, password
):
    signed(participant1, investigator, password)
    other = MembershipFactory(role=Role.STUDY_ADMIN, site=None, study=study).user

    def lock(actor):
        return lambda: services.casebook_lock(actor=actor, participant=participant1)

    outcomes = _run_together(lock(study_admin), lock(other))

    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["error", "ok"], outcomes
    (error,) = [value for kind, value in outcomes if kind == "error"]
    assert isinstance(error, StepRefused)
    assert "locked meanwhile by" in str(error)
    casebook = Casebook.objects.get(participant=participant1)
    assert casebook.is_locked
    winner = next(value for kind, value in outcomes if kind == "ok")
    assert casebook.locked_by_id == winner.locked_by_id


def test_a_write_racing_a_lock_is_saved_before_it_or_refused_after_it(
    adverse_event, participant1, investigator, therapist, study_admin, password
):
    signed(participant1, investigator, password)

    def write():
        return adverse_event_draft_update(
            actor=therapist,
            adverse_event=adverse_event,
            verbatim_term="Migraine",
            onset_at=adverse_event.onset_at,
            description="",
            expected_version=adverse_event.version,
        )

    outcomes = _run_together(
        write, lambda: services.casebook_lock(actor=study_admin, participant=participant1)
    )

    (written, lock) = outcomes
    assert sorted(kind for kind, _ in outcomes) == ["error", "ok"], outcomes
    casebook = Casebook.objects.get(participant=participant1)
    adverse_event.refresh_from_db()
    if written[0] == "ok":
        # Saved first: the signature is voided, and the lock refused (not signed any more).
        assert adverse_event.verbatim_term == "Migraine"
        assert casebook.state == Casebook.State.OPEN
        assert "Only a signed casebook" in str(lock[1])
    else:
        assert isinstance(written[1], CasebookLocked)
        assert adverse_event.verbatim_term == "Headache"
        assert casebook.is_locked

"""records.edits: the one way to change a record late, the future-time rule, and the actor a
service records."""

import datetime
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.models import LogEntry
from participants.models import Participant
from participants.services import participant_set_status
from records.edits import (
    FUTURE_MESSAGE,
    late_change_check,
    not_in_future,
    reason_required,
    signature_root,
)


def _root(late: bool):
    return SimpleNamespace(changes_need_reason=late, late_change_message="Say why, please.")


def test_a_record_without_a_root_is_its_own():
    record = _root(late=False)
    assert signature_root(record) is record


def test_a_change_to_a_child_of_a_closed_root_needs_the_roots_reason():
    child = SimpleNamespace(signature_root=_root(late=True))
    with pytest.raises(ValidationError) as refused:
        late_change_check(child, "   ")
    assert refused.value.message_dict == {"reason": ["Say why, please."]}
    assert late_change_check(child, "typo in the time") is True


def test_a_change_before_the_root_closes_needs_no_reason():
    child = SimpleNamespace(signature_root=_root(late=False))
    assert late_change_check(child, "") is False


def test_reason_required_strips_and_refuses_blank():
    assert reason_required("  kit misread  ") == "kit misread"
    with pytest.raises(ValidationError):
        reason_required(" \n ")


def test_a_time_in_the_future_is_refused_beside_its_field():
    later = timezone.now() + datetime.timedelta(minutes=30)
    with pytest.raises(ValidationError) as refused:
        not_in_future(later, "measured_at")
    assert refused.value.message_dict == {"measured_at": [FUTURE_MESSAGE]}
    not_in_future(timezone.now() + datetime.timedelta(minutes=2), "measured_at")  # clock skew


@pytest.mark.django_db
def test_a_service_records_the_actor_it_is_given_not_the_requests(participant1, investigator):
    """Outside any request (a seeder, a task), the entry names the service's actor."""
    before = LogEntry.objects.count()
    participant_set_status(
        actor=investigator,
        participant=participant1,
        status=Participant.Status.SCREEN_FAILED,
        reason="Test of the actor",
    )
    entries = LogEntry.objects.order_by("seq")[before:]
    assert entries, "the change was not logged"
    assert {entry.actor_id for entry in entries} == {investigator.pk}


def test_a_service_is_refused_without_the_user_it_acts_for(participant1):
    with pytest.raises(ValueError, match="actor"):
        participant_set_status(
            actor=None,
            participant=participant1,
            status=Participant.Status.SCREEN_FAILED,
            reason="no one",
        )

import pytest
from celery import shared_task

from accounts.models import Study
from audit.models import LogEntry
from audit.tasks import acting_as_queuing_user, audit_chain_verify

pytestmark = pytest.mark.django_db


@shared_task
@acting_as_queuing_user
def _create_study(code: str) -> int:
    return Study.objects.create(code=code, name="Created by a task").pk


def test_task_writes_are_attributed_to_the_user_who_queued_them(therapist):
    pk = _create_study.delay("TASKSTUDY", actor_id=therapist.pk).get()
    entry = LogEntry.objects.get_for_object(Study.objects.get(pk=pk)).get()
    assert entry.actor == therapist


def test_tasks_queued_in_a_transaction_wait_for_its_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        audit_chain_verify.delay_on_commit()
    assert len(callbacks) == 1


def test_nightly_chain_check_reports_the_trail(therapist):
    result = audit_chain_verify.delay().get()
    newest = LogEntry.objects.order_by("-seq").first()
    assert result == {
        "ok": True,
        "checked": LogEntry.objects.count(),
        "first_bad_seq": None,
        "head": f"{newest.seq}:{newest.entry_hash}",
    }

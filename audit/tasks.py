import functools
import logging

from auditlog.context import set_actor
from celery import shared_task
from django.contrib.auth import get_user_model

from audit.chain import chain_verify

logger = logging.getLogger(__name__)


def acting_as_queuing_user(func):
    """Run a task body with the user who queued it (`actor_id=`) as the audit trail's actor.

    Queue such tasks from services with `task.delay_on_commit(..., actor_id=user.pk)`, so that
    they run only once the transaction that asked for them has committed.
    """

    @functools.wraps(func)
    def wrapper(*args, actor_id: int | None = None, **kwargs):
        if actor_id is None:
            return func(*args, **kwargs)
        actor = get_user_model().objects.get(pk=actor_id)
        with set_actor(actor):
            return func(*args, **kwargs)

    return wrapper


@shared_task
def audit_chain_verify() -> dict:
    """Nightly check of the audit trail (scheduled by Celery beat)."""
    report = chain_verify()
    if report.ok:
        logger.info(report.describe())
    else:
        logger.error(report.describe())
    return {"ok": report.ok, "checked": report.checked, "first_bad_seq": report.first_bad_seq}

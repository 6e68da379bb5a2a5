import functools
import logging
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from audit.chain import anchor_append, anchors_check, anchors_read, chain_verify
from audit.context import acting_as

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
        with acting_as(actor):
            return func(*args, **kwargs)

    return wrapper


# The whole chain is read: longer than an email, so its own limits; acknowledged when it starts,
# so that a long run is not delivered again after the broker's visibility timeout.
@shared_task(soft_time_limit=55 * 60, time_limit=60 * 60, acks_late=False)
def audit_chain_verify() -> dict:
    """Nightly check of the audit trail (scheduled by Celery beat).

    Verifies the chain, then that every anchor of AUDIT_ANCHOR_FILE is still in it, then appends
    today's head to that file (and to the log), so tomorrow's check covers today's entries too.
    """
    report = chain_verify()
    problem = "" if report.ok else report.describe()
    path = Path(settings.AUDIT_ANCHOR_FILE) if settings.AUDIT_ANCHOR_FILE else None
    if report.ok and path is not None:
        problem = anchors_check(anchors_read(path))
    if problem:
        logger.error(problem)
        return {"ok": False, "checked": report.checked, "first_bad_seq": report.first_bad_seq}
    logger.info(report.describe())
    if path is not None:
        anchor_append(path, report, timezone.now().isoformat(timespec="seconds"))
    return {
        "ok": True,
        "checked": report.checked,
        "first_bad_seq": None,
        "head": report.anchor,
    }

"""The one way to change a clinical record after it was submitted, ended or signed.

Every clinical record names the record its signature is on (its *root*: a reading's is its dosing
session, a screening answer's is its screening attempt, a session's is itself) with the property
`signature_root`; a record without one is its own root. The root says whether changes now come
late (`changes_need_reason`) and, if so, what to ask for (`late_change_message`).

A late change needs a reason, is refused when the form was opened at an older version, and voids
the root's signature: the root gets a new version, which no signature matches any more. A service
asks `late_change_check` before it writes and calls `late_change_commit` once it has written.

Also here: the one "not in the future" rule, the base of every refused step, and the reason a
correction must give.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from audit.context import change_reason
from audit.services import STALE_MESSAGE, ConcurrentEditError
from signatures.services import signature_void_outdated

# Clocks of a tablet and the server disagree a little; a time further ahead is a typing error.
FUTURE_TOLERANCE = datetime.timedelta(minutes=5)
FUTURE_MESSAGE = "This time is in the future. Enter when it happened."
REASON_MESSAGE = "Say why this record is being changed."


class StepRefused(Exception):
    """A step the record's state does not allow (a dose before the checks, a screening already
    submitted, an alert already acknowledged). Its message says why, to the user, as it is."""


def signature_root(record: models.Model) -> models.Model:
    """The record whose signature a change to `record` voids."""
    return getattr(record, "signature_root", record)


def not_in_future(
    when: datetime.datetime, field: str | None = None, message: str = FUTURE_MESSAGE
) -> None:
    """Refuse a time that has not come yet (beside `field` when named)."""
    if when > timezone.now() + FUTURE_TOLERANCE:
        raise ValidationError({field: message} if field else message)


def reason_required(reason: str, message: str = REASON_MESSAGE, field: str = "reason") -> str:
    """The reason given, stripped; refused beside `field` when there is none."""
    if not reason.strip():
        raise ValidationError({field: message})
    return reason.strip()


def fresh_check(record: models.Model, expected_version: int) -> None:
    """Refuse a form opened at an older version before judging its values (the versioned save
    checks again as it writes)."""
    if record.version != expected_version:
        raise ConcurrentEditError(STALE_MESSAGE)


def late_change_check(
    record: models.Model,
    reason: str,
    *,
    root_fresh: bool = False,
    refusal: type[Exception] | None = None,
) -> bool:
    """Whether a change to `record` comes late (its root was submitted, ended or signed); a late
    change without a reason is refused beside the reason (or with `refusal`, a step's own
    error, where the page shows the refusal above the form).

    The root's state is read again under lock, so that a root ended or signed after the form
    was opened counts; a caller that has read the root in this transaction already says so
    (`root_fresh`). Call it inside the change's transaction.
    """
    root = signature_root(record)
    if not root_fresh and getattr(root, "pk", None) is not None:
        root = type(root).objects.select_for_update().get(pk=root.pk)
    if not root.changes_need_reason:
        return False
    if refusal is not None and not reason.strip():
        raise refusal(root.late_change_message)
    reason_required(reason, root.late_change_message)
    return True


def late_change_commit(
    record: models.Model, reason: str, *, root_saved: bool = False, void_reason: str = ""
) -> None:
    """After a late change to `record`: void its root's signature (with `void_reason`, by default
    the change's reason).

    `root_saved`: the change saved the root itself, which has a new version already; otherwise
    (a record that belongs to the root changed) the root is saved again, under lock, for one.
    """
    root = signature_root(record)
    with transaction.atomic():
        if not root_saved:
            root = type(root).objects.select_for_update().get(pk=root.pk)
            with change_reason(reason):
                root.save()
        signature_void_outdated(record=root, reason=void_reason or reason)

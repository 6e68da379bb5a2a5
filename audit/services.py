"""Writes that the audit trail needs beyond auditlog's automatic create/update/delete entries."""

from django.db import models, transaction

from audit.context import change_reason
from audit.models import LogEntry, VersionedModel

STALE_MESSAGE = (
    "This record was changed by someone else after you opened it. "
    "Your input is shown below; review the current values and save again."
)


class ConcurrentEditError(Exception):
    """Someone else saved the record after the user opened it."""


def event_log(
    *, actor, instance: models.Model, action: int, additional_data: dict, changes=None
) -> LogEntry:
    """An entry of the audit trail for what `actor` did to `instance` that no save records (a
    view, an unlock)."""
    return LogEntry.objects.log_create(
        instance,
        force_log=True,
        action=action,
        actor=actor,
        actor_email=getattr(actor, "email", None),
        changes=changes,
        additional_data=additional_data,
    )


def access_log(*, actor, instance: models.Model, what: str) -> LogEntry:
    """Record that `actor` viewed `instance` (for example an identity)."""
    return event_log(
        actor=actor,
        instance=instance,
        action=LogEntry.Action.ACCESS,
        additional_data={"viewed": what},
    )


def versioned_save(
    *, instance: VersionedModel, expected_version: int, reason: str = ""
) -> VersionedModel:
    """Save an edited record only if nobody saved it since `expected_version` was read.

    Locks the row, compares versions, then saves with the version bumped, so the second of two
    concurrent edits is refused rather than silently overwriting the first.
    """
    model = type(instance)
    with transaction.atomic():
        current = model.objects.select_for_update().only("version").get(pk=instance.pk)
        if current.version != expected_version:
            raise ConcurrentEditError(STALE_MESSAGE)
        instance.version = expected_version  # save() makes it expected_version + 1
        instance.full_clean()
        with change_reason(reason):
            instance.save()
    return instance

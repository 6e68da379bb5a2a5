"""The rules every write of the flowsheet shares: when an entry may be dated, the session's
lock, and what a change after the session's end costs (a reason, and the signature).

The corrections share their own few: a reason always, a started session, the version the user
opened, and a time re-entered to the minute keeping its seconds.
"""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.context import change_reason
from audit.services import ConcurrentEditError
from sessions_app.models import DoseAdministration, DosingSession
from signatures.services import signature_void_outdated

# Clocks of a tablet and the server disagree a little; a time further ahead is a typing error.
FUTURE_TOLERANCE = datetime.timedelta(minutes=5)


class FlowsheetError(Exception):
    """A step the session's state does not allow (for example a dose before the checks)."""


def not_in_future(field: str, when: datetime.datetime) -> None:
    if when > timezone.now() + FUTURE_TOLERANCE:
        raise ValidationError({field: "This time is in the future. Enter when it happened."})


# A baseline reading may be taken a little before the session formally starts.
BEFORE_START_TOLERANCE = datetime.timedelta(hours=2)


def within_session(field: str, when: datetime.datetime, session: DosingSession) -> None:
    """Readings and observations belong to the session: not long before it, not after its end."""
    not_in_future(field, when)
    if when < session.started_at - BEFORE_START_TOLERANCE:
        raise ValidationError({field: "This time is long before the session started."})
    if session.ended_at is not None and when > session.ended_at:
        ended = timezone.localtime(session.ended_at)
        raise ValidationError(
            {
                field: f"This time is after the session ended ({ended:%d %b %H:%M}). If the "
                "session went on longer, correct its end time first."
            }
        )


def lock_session(session: DosingSession) -> DosingSession:
    return (
        DosingSession.objects.select_for_update(of=("self",))
        .select_related("visit__participant__site")
        .get(pk=session.pk)
    )


def late_change(session: DosingSession, reason: str) -> bool:
    """Whether the change is a late one (session ended); then a reason is required."""
    if session.status != DosingSession.Status.ENDED:
        return False
    if not reason.strip():
        raise ValidationError(
            {"reason": "The session has ended: say why this is being added or changed."}
        )
    return True


def touch_session(session: DosingSession, reason: str) -> None:
    """A late change: a new version of the session, which voids its signature."""
    session = DosingSession.objects.select_for_update().get(pk=session.pk)
    with change_reason(reason):
        session.save()
    signature_void_outdated(record=session, reason=reason)


def initial_dose(session: DosingSession) -> DoseAdministration | None:
    return next(
        (a for a in session.administrations.all() if a.kind == DoseAdministration.Kind.INITIAL),
        None,
    )


def given_before_end(session: DosingSession, administered_at: datetime.datetime) -> None:
    """A dose recorded on a session that has ended was given before its end."""
    if session.ended_at is not None and administered_at > session.ended_at:
        ended = timezone.localtime(session.ended_at)
        raise ValidationError(
            {
                "administered_at": f"The session ended at {ended:%d %b %H:%M}: the dose "
                "cannot have been given after that."
            }
        )


# --- Corrections -------------------------------------------------------------------------------


STALE = (
    "This record was changed by someone else after you opened it. "
    "Your input is shown below; review the current values and save again."
)
UNCHANGED = "Nothing was changed: these are the values already recorded."


def require_reason(reason: str, message: str) -> str:
    if not reason.strip():
        raise ValidationError({"reason": message})
    return reason.strip()


def require_started(session: DosingSession) -> None:
    if session.status == DosingSession.Status.NOT_STARTED:
        raise FlowsheetError("This session has not started: there is nothing to correct yet.")


def require_fresh(instance, expected_version: int) -> None:
    """Refuse a stale form before judging its values (versioned_save checks again on write)."""
    if instance.version != expected_version:
        raise ConcurrentEditError(STALE)


def same_minute(new: datetime.datetime, old: datetime.datetime | None) -> datetime.datetime:
    """Forms carry minutes: a time re-entered unchanged keeps the seconds it was recorded with."""
    if old is not None and new.replace(second=0, microsecond=0) == old.replace(
        second=0, microsecond=0
    ):
        return old
    return new


def local_minute(when: datetime.datetime) -> str:
    """A time as the messages give it: local, to the minute."""
    return f"{timezone.localtime(when):%d %b %H:%M}"


def void_signature_if_ended(session: DosingSession, reason: str, *, saved: bool) -> None:
    """A change to an ended session voids its signature (`saved`: the session has a new version)."""
    if session.status != DosingSession.Status.ENDED:
        return
    if saved:
        signature_void_outdated(record=session, reason=reason)
    else:
        touch_session(session, reason)

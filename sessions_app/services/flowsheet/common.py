"""The rules every write of the flowsheet shares: when an entry may be dated and the session's
lock. What a change after the session's end costs (a reason, and the signature) is the one rule
of every record, records.edits: a session's entries name it as their signature root.

The corrections share their own few: a started session and a time re-entered to the minute
keeping its seconds.
"""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from records.edits import StepRefused, not_in_future
from sessions_app.models import DosingSession


class FlowsheetError(StepRefused):
    """A step the session's state does not allow (for example a dose before the checks)."""


# A baseline reading may be taken a little before the session formally starts.
BEFORE_START_TOLERANCE = datetime.timedelta(hours=2)


def within_session(field: str, when: datetime.datetime, session: DosingSession) -> None:
    """Readings and observations belong to the session: not long before it, not after its end."""
    not_in_future(when, field)
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


UNCHANGED = "Nothing was changed: these are the values already recorded."
NOTHING_TO_CORRECT = "This session has not started: there is nothing to correct yet."


def require_started(session: DosingSession) -> None:
    if session.status == DosingSession.Status.NOT_STARTED:
        raise FlowsheetError(NOTHING_TO_CORRECT)


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

"""The session's pre-dose checks, its end, and the investigator's signature.

The end is also how its details are corrected once the session has ended, with a reason (which
voids the signature).
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from audit.context import records_actor
from audit.services import STALE_MESSAGE, ConcurrentEditError, versioned_save
from participants.casebook import casebook_refuse_locked
from records.edits import late_change_check, late_change_commit, not_in_future
from sessions_app.models import DosingSession
from sessions_app.models.flowsheet import ENDS_AFTER_START
from sessions_app.services.flowsheet.common import FlowsheetError, lock_session
from sessions_app.services.flowsheet.team import ROLES
from signatures.models import Signature
from signatures.selectors import signed_by
from signatures.services import signature_password_confirm, signature_sign

SIGN_REFUSED = "Only the site investigator can sign dosing sessions."
SIGN_BEFORE_END = "A session is signed once it has ended."
ALREADY_SIGNED = (
    "You have already signed this session as it is now. A later change to it voids the "
    "signature and asks for a new one."
)
SIGN_STATEMENT = (
    "I have reviewed this dosing session's flowsheet and confirm it is complete and accurate."
)
# An investigator who was on the session's team reviews a session they helped to run: they say
# so, and what they acknowledge becomes part of what the signature attests.
TEAM_ACKNOWLEDGEMENT = (
    "I was on this session's team ({role}): I approve a session that I helped to run."
)
TEAM_ACKNOWLEDGEMENT_REQUIRED = (
    "You were on this session's team: tick the acknowledgement to sign its review."
)


def signer_team_role(*, session: DosingSession, user: User) -> str:
    """The part `user` had on the session's team ("lead therapist", "co-therapist"), or ""."""
    for key, role in ROLES.items():
        if getattr(session, f"{key}_therapist_id") == user.pk:
            return role
    return ""


def team_acknowledgement(*, session: DosingSession, user: User) -> str:
    """What `user` acknowledges when signing a session whose team they were on ("" if not)."""
    role = signer_team_role(session=session, user=user)
    return TEAM_ACKNOWLEDGEMENT.format(role=role) if role else ""


@records_actor
def predose_checks_record(
    *,
    actor: User,
    session: DosingSession,
    pregnancy_test: str,
    cssrs_pre_ideation: int,
    cssrs_pre_behaviour: bool,
    expected_version: int,
    reason: str = "",
) -> DosingSession:
    with transaction.atomic():
        session = lock_session(session)
        if session.status == DosingSession.Status.NOT_STARTED:
            raise FlowsheetError("Start the session before recording the pre-dose checks.")
        late = late_change_check(session, reason, root_fresh=True)
        if not late and session.initial_dose is not None:
            raise FlowsheetError(
                "The pre-dose checks are closed once the dose is given. A correction can be "
                "made, with its reason, after the session ends."
            )
        session.pregnancy_test = pregnancy_test
        session.cssrs_pre_ideation = cssrs_pre_ideation
        session.cssrs_pre_behaviour = cssrs_pre_behaviour
        session.predose_checked_at = timezone.now()
        versioned_save(instance=session, expected_version=expected_version, reason=reason)
        if late:
            late_change_commit(session, reason, root_saved=True)
    return session


def _ends_after_entries(session: DosingSession, ended_at: datetime.datetime) -> None:
    """The end time comes after the start and after everything recorded during the session."""
    if ended_at <= session.started_at:
        raise ValidationError({"ended_at": ENDS_AFTER_START})
    latest = [
        (entry.administered_at, "a dose was given")
        for entry in session.administrations.filter(voided_at__isnull=True)
    ]
    reading = session.readings.filter(voided_at__isnull=True).order_by("-measured_at").first()
    if reading is not None:
        latest.append((reading.measured_at, "a reading was taken"))
    observation = (
        session.observations.filter(voided_at__isnull=True).order_by("-observed_at").first()
    )
    if observation is not None:
        latest.append((observation.observed_at, "an observation was recorded"))
    if latest:
        when, what = max(latest, key=lambda item: item[0])
        if when > ended_at:
            raise ValidationError(
                {
                    "ended_at": f"At {timezone.localtime(when):%d %b %H:%M} {what}: the session "
                    "cannot have ended before that."
                }
            )


@records_actor
def dosing_session_end(
    *,
    actor: User,
    session: DosingSession,
    ended_at: datetime.datetime,
    cssrs_post_ideation: int,
    cssrs_post_behaviour: bool,
    overnight_ready: bool,
    overnight_note: str,
    expected_version: int,
    reason: str = "",
    not_dosed_reason: str = "",
) -> DosingSession:
    """End of the session: C-SSRS, readiness for the overnight stay and the end time.

    A session in which no dose was given (a pre-dose check failed, the participant declined) ends
    with the reason none was given.

    Also used to correct those after the end, with a reason (which voids the signature).
    """
    with transaction.atomic():
        session = lock_session(session)
        if session.status == DosingSession.Status.NOT_STARTED:
            raise FlowsheetError("This session has not started.")
        late = late_change_check(session, reason, root_fresh=True)
        if session.initial_dose is None:
            if not not_dosed_reason.strip():
                raise ValidationError(
                    {
                        "not_dosed_reason": "No dose has been recorded: record the initial dose "
                        "first, or say why none was given."
                    }
                )
        else:
            not_dosed_reason = ""
            if not session.supplemental_decision:
                raise FlowsheetError("Record the supplemental-dose decision (go or no-go) first.")
        not_in_future(ended_at, "ended_at")
        _ends_after_entries(session, ended_at)
        if not overnight_ready and not overnight_note.strip():
            raise ValidationError(
                {"overnight_note": "Say why the participant is not ready and what was done."}
            )
        session.status = DosingSession.Status.ENDED
        session.ended_at = ended_at
        session.cssrs_post_ideation = cssrs_post_ideation
        session.cssrs_post_behaviour = cssrs_post_behaviour
        session.overnight_ready = overnight_ready
        session.overnight_note = overnight_note.strip()
        session.not_dosed_reason = not_dosed_reason.strip()
        versioned_save(instance=session, expected_version=expected_version, reason=reason)
        if late:
            late_change_commit(session, reason, root_saved=True)
    return session


@records_actor
def dosing_session_sign(
    *,
    actor: User,
    session: DosingSession,
    password: str,
    team_acknowledged: bool = False,
    request: HttpRequest | None = None,
) -> Signature:
    """The site investigator signs the ended session (password again).

    An investigator who was on the session's team signs only with `team_acknowledged`; the
    acknowledgement is then part of the signature's statement.

    The password is confirmed before the transaction, so that a wrong one counts toward the
    lockout (the refusal's rollback would undo the count); signing inside re-checks it plainly.
    """
    if not actor.has_perm("sessions_app.sign_dosingsession", session):
        raise PermissionDenied(SIGN_REFUSED)
    # Judged on the session as it is now (the caller's copy may predate its end or its team).
    current = DosingSession.objects.get(pk=session.pk)
    if current.status != DosingSession.Status.ENDED:
        raise FlowsheetError(SIGN_BEFORE_END)
    acknowledgement = team_acknowledgement(session=current, user=actor)
    if acknowledgement and not team_acknowledged:
        raise ValidationError({"team_acknowledged": TEAM_ACKNOWLEDGEMENT_REQUIRED})
    casebook_refuse_locked(current.participant.pk)
    signature_password_confirm(signer=actor, password=password, request=request)
    with transaction.atomic():
        session = lock_session(session)
        if session.status != DosingSession.Status.ENDED:
            raise FlowsheetError(SIGN_BEFORE_END)
        if team_acknowledgement(session=session, user=actor) != acknowledgement:
            raise ConcurrentEditError(STALE_MESSAGE)
        if signed_by(record=session, signer=actor):
            raise FlowsheetError(ALREADY_SIGNED)
        return signature_sign(
            signer=actor,
            record=session,
            meaning=Signature.Meaning.APPROVED,
            password=password,
            statement=" ".join(filter(None, [SIGN_STATEMENT, acknowledgement])),
        )

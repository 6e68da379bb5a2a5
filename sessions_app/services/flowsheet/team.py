"""The session's start and its team: starting the session with its two therapists, their
presence attestations, and correcting the start time or the team afterwards.

A start (or a corrected start on another day) records the visit as held that day.
"""

import copy
import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import Role, User
from accounts.passwords import PasswordRefusedError, password_confirm
from audit.context import change_reason, records_actor
from audit.services import STALE_MESSAGE, ConcurrentEditError, versioned_save
from participants.models import Participant
from records.edits import (
    fresh_check,
    late_change_check,
    late_change_commit,
    not_in_future,
    reason_required,
)
from sessions_app.models import DoseAdministration, DosingSession
from sessions_app.models.flowsheet import TWO_THERAPISTS
from sessions_app.services.flowsheet.common import (
    BEFORE_START_TOLERANCE,
    UNCHANGED,
    FlowsheetError,
    local_minute,
    lock_session,
    require_started,
    same_minute,
)
from sessions_app.services.visits import participation_check, visit_mark_held

NOT_OF_THE_SITE = "Choose a therapist of this participant's site."
ROLES = {"lead": "lead therapist", "co": "co-therapist"}


def session_team_candidates(*, session: DosingSession):
    """The site's therapists and investigators, who may form the session's team."""
    return (
        User.objects.filter(
            is_active=True,
            memberships__is_active=True,
            memberships__site_id=session.visit.participant.site_id,
            memberships__role__in=[Role.THERAPIST, Role.INVESTIGATOR],
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


@records_actor
def dosing_session_start(
    *,
    actor: User,
    session: DosingSession,
    started_at: datetime.datetime,
    lead_therapist: User,
    co_therapist: User,
    deviation_explanation: str = "",
    expected_version: int,
) -> DosingSession:
    """Open the flowsheet: start time and the two-therapist team; the visit is held that day."""
    with transaction.atomic():
        # The participant's row first: a missed visit or a withdrawal, which lock it first too,
        # cannot slip in between the checks below and the start.
        Participant.objects.select_for_update(of=("self",)).get(visits__dosing_session=session.pk)
        session = lock_session(session)
        if session.status != DosingSession.Status.NOT_STARTED:
            raise FlowsheetError("This session has already started.")
        not_in_future(started_at, "started_at")
        if session.start_closed_reason:
            raise FlowsheetError(session.start_closed_reason)
        held_on = timezone.localtime(started_at).date()
        participation_check(session.visit.participant, held_on, "started_at")
        team = set(session_team_candidates(session=session).values_list("pk", flat=True))
        for field, user in (("lead_therapist", lead_therapist), ("co_therapist", co_therapist)):
            if user.pk not in team:
                raise ValidationError({field: NOT_OF_THE_SITE})
        session.status = DosingSession.Status.IN_PROGRESS
        session.started_at = started_at
        session.lead_therapist = lead_therapist
        session.co_therapist = co_therapist
        versioned_save(instance=session, expected_version=expected_version)
        visit_mark_held(
            actor=actor,
            visit=session.visit,
            held_on=held_on,
            deviation_explanation=deviation_explanation,
        )
    return session


def _attesting_therapist(session: DosingSession, role: str) -> User:
    """The team member whose presence `role` attests, if the session's state allows it."""
    therapist = session.lead_therapist if role == "lead" else session.co_therapist
    if therapist is None or session.status == DosingSession.Status.NOT_STARTED:
        raise FlowsheetError("Start the session and name its team first.")
    if session.status == DosingSession.Status.ENDED:
        raise FlowsheetError("Presence is attested during the session, not after it ended.")
    return therapist


@records_actor
def presence_attest(
    *,
    actor: User,
    session: DosingSession,
    role: str,
    password: str,
    request: HttpRequest | None = None,
) -> DosingSession:
    """The lead or co-therapist attests presence with their own password (on a shared device).

    The password is checked before the transaction: a wrong one counts toward the therapist's
    lockout (accounts.passwords), and the refusal's rollback would otherwise undo that count.
    """
    current = DosingSession.objects.select_related("lead_therapist", "co_therapist")
    therapist = _attesting_therapist(current.get(pk=session.pk), role)
    try:
        password_confirm(user=therapist, password=password, request=request)
    except PasswordRefusedError as error:
        raise ValidationError({"password": f"{error} Nothing was attested."}) from error
    with transaction.atomic():
        session = lock_session(session)
        # The state again, under the lock; the team itself is fixed when the session starts.
        therapist = _attesting_therapist(session, role)
        field = "lead_attested_at" if role == "lead" else "co_attested_at"
        setattr(session, field, timezone.now())
        with change_reason(f"{therapist.printed_name} attests presence"):
            session.full_clean()
            session.save()
    return session


# --- Correcting the start time and the team --------------------------------------------------


def start_team_choices(*, session: DosingSession) -> QuerySet[User]:
    """Who may be named on the team: the site's therapists, and whoever is on it already."""
    current = [pk for pk in (session.lead_therapist_id, session.co_therapist_id) if pk]
    candidates = session_team_candidates(session=session).values("pk")
    return User.objects.filter(Q(pk__in=candidates) | Q(pk__in=current)).order_by(
        "last_name", "first_name", "username"
    )


def _check_start(
    *,
    session: DosingSession,
    started_at: datetime.datetime,
    lead_therapist: User,
    co_therapist: User,
) -> dict[str, User]:
    """Validate a corrected start and team; return the roles whose holder changes."""
    require_started(session)
    not_in_future(started_at, "started_at")
    initial = DoseAdministration.live(session, DoseAdministration.Kind.INITIAL)
    if initial is not None and started_at > initial.administered_at:
        raise ValidationError(
            {
                "started_at": "The initial dose was given at "
                f"{local_minute(initial.administered_at)}: the session cannot have started "
                "after it."
            }
        )
    if session.ended_at is not None and started_at >= session.ended_at:
        raise ValidationError(
            {
                "started_at": f"The session ended at {local_minute(session.ended_at)}: it must "
                "have started before that."
            }
        )
    earliest = min(
        (
            when
            for when in (
                session.readings.filter(voided_at__isnull=True)
                .order_by("measured_at")
                .values_list("measured_at", flat=True)
                .first(),
                session.observations.filter(voided_at__isnull=True)
                .order_by("observed_at")
                .values_list("observed_at", flat=True)
                .first(),
            )
            if when is not None
        ),
        default=None,
    )
    if earliest is not None and earliest < started_at - BEFORE_START_TOLERANCE:
        raise ValidationError(
            {
                "started_at": "An entry of this session was recorded at "
                f"{local_minute(earliest)}, long before this start time."
            }
        )
    if lead_therapist.pk == co_therapist.pk:
        raise ValidationError({"co_therapist": TWO_THERAPISTS})
    joining = {
        role: user
        for role, user in (("lead", lead_therapist), ("co", co_therapist))
        if user.pk != getattr(session, f"{role}_therapist_id")
    }
    if joining:
        team = set(session_team_candidates(session=session).values_list("pk", flat=True))
        for role, user in joining.items():
            if user.pk not in team:
                raise ValidationError({f"{role}_therapist": NOT_OF_THE_SITE})
    return joining


def _confirm_presence(
    *, joining: dict[str, User], passwords: dict[str, str], request: HttpRequest | None
) -> None:
    """Whoever joins the team attests their presence with their own password."""
    errors = {}
    for role, user in joining.items():
        field = f"{role}_password"
        if not passwords.get(role):
            errors[field] = (
                f"{user.printed_name} becomes the {ROLES[role]}: they type their own password "
                "to attest their presence."
            )
            continue
        try:
            password_confirm(user=user, password=passwords[role], request=request)
        except PasswordRefusedError as error:
            errors[field] = f"{error} Nothing was changed."
    if errors:
        raise ValidationError(errors)


@records_actor
def session_start_correct(
    *,
    actor: User,
    session: DosingSession,
    started_at: datetime.datetime,
    lead_therapist: User,
    co_therapist: User,
    expected_version: int,
    reason: str,
    lead_password: str = "",
    co_password: str = "",
    deviation_explanation: str = "",
    request: HttpRequest | None = None,
) -> DosingSession:
    """Correct when the session started and who formed its team.

    A new team member attests presence with their password (now). A start on another day moves
    the day the visit was held, which re-anchors the visits after it.
    """
    reason = reason_required(reason, "Say why the start or the team is being corrected.")
    # First judged without a lock, so that passwords are checked outside the transaction: a
    # refused password must stay counted (lockout) rather than be rolled back with the change.
    current = DosingSession.objects.get(pk=session.pk)
    fresh_check(current, expected_version)
    started_at = same_minute(started_at, current.started_at)
    joining = _check_start(
        session=current,
        started_at=started_at,
        lead_therapist=lead_therapist,
        co_therapist=co_therapist,
    )
    held_on = timezone.localtime(started_at).date()
    explanation = deviation_explanation.strip()
    probe = copy.copy(current.visit)  # the day it would be held, judged before any password
    probe.held_on = held_on
    probe.deviation_explanation = explanation
    probe.clean()
    _confirm_presence(
        joining=joining, passwords={"lead": lead_password, "co": co_password}, request=request
    )
    with transaction.atomic():
        session = lock_session(session)
        fresh_check(session, expected_version)
        late = late_change_check(session, reason, root_fresh=True)
        if (
            _check_start(
                session=session,
                started_at=started_at,
                lead_therapist=lead_therapist,
                co_therapist=co_therapist,
            )
            != joining
        ):
            raise ConcurrentEditError(STALE_MESSAGE)
        visit = session.visit
        move_visit = held_on != visit.held_on or (
            visit.is_out_of_window and explanation != visit.deviation_explanation
        )
        if started_at == session.started_at and not joining and not move_visit:
            raise ValidationError(UNCHANGED)
        now = timezone.now()
        session.started_at = started_at
        for role, user in joining.items():
            setattr(session, f"{role}_therapist", user)
            setattr(session, f"{role}_attested_at", now)
        versioned_save(instance=session, expected_version=expected_version, reason=reason)
        if move_visit:
            visit_mark_held(
                actor=actor,
                visit=visit,
                held_on=held_on,
                deviation_explanation=explanation,
                reason=reason,
            )
        if late:
            late_change_commit(session, reason, root_saved=True)
    return session

"""Writes of adverse events. Only the draft exists so far (see safety/models.py)."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.context import records_actor
from audit.services import versioned_save
from participants.models import Participant
from records.edits import StepRefused, not_in_future
from safety.models import AdverseEvent
from sessions_app.models import DosingSession, VitalSignReading

ADD_AE = "safety.add_adverseevent"
CHANGE_AE = "safety.change_adverseevent"
REPORT_REFUSED = "Only the participant's site staff can report adverse events."
CHANGE_REFUSED = "Only the participant's site staff can change adverse events."
DRAFT_ONLY = "Only a draft adverse event can be changed here."
TERM_REQUIRED = "Describe the event in the reporter's words."
ONSET_IN_FUTURE = "The onset is in the future. Enter when the event began."


class AdverseEventError(StepRefused):
    """A step the adverse event's state does not allow."""


def _collected_since(participant: Participant) -> datetime.date | None:
    """The first day of the participant's screening (None for one entered without it)."""
    days = [a.screened_on for a in participant.screening_attempts.all() if a.screened_on]
    return min(days, default=None)


def _check_draft(ae: AdverseEvent) -> None:
    errors = {}
    ae.verbatim_term = ae.verbatim_term.strip()
    ae.description = ae.description.strip()
    if not ae.verbatim_term:
        errors["verbatim_term"] = TERM_REQUIRED
    if ae.onset_at:
        try:
            not_in_future(ae.onset_at, message=ONSET_IN_FUTURE)
        except ValidationError as error:
            errors["onset_at"] = error.messages
        # Adverse events are collected from screening on; anything earlier is medical history.
        since = _collected_since(ae.participant)
        if since and timezone.localtime(ae.onset_at).date() < since:
            errors["onset_at"] = (
                f"The onset is before {ae.participant.label} was first screened "
                f"({since:%d %b %Y}): that is medical history, not an adverse event."
            )
    if ae.dosing_session_id and ae.dosing_session.visit.participant_id != ae.participant_id:
        errors["dosing_session"] = "This dosing session is another participant's."
    if ae.source_reading_id and ae.source_reading.session_id != ae.dosing_session_id:
        errors["source_reading"] = "The reading must belong to the event's dosing session."
    if errors:
        raise ValidationError(errors)


@records_actor
def adverse_event_draft_create(
    *,
    actor: User,
    participant: Participant,
    verbatim_term: str,
    onset_at: datetime.datetime,
    description: str,
    dosing_session: DosingSession | None = None,
    source_reading: VitalSignReading | None = None,
) -> AdverseEvent:
    """Open a draft adverse event for a participant of the actor's site.

    Opened from a reading, the reading's session is the event's session.
    """
    if not actor.has_perm(ADD_AE, participant):
        raise PermissionDenied(REPORT_REFUSED)
    if source_reading is not None and dosing_session is None:
        dosing_session = source_reading.session
    with transaction.atomic():
        ae = AdverseEvent(
            participant=participant,
            dosing_session=dosing_session,
            source_reading=source_reading,
            verbatim_term=verbatim_term,
            onset_at=onset_at,
            description=description,
            status=AdverseEvent.Status.DRAFT,
            reported_by=actor,
        )
        _check_draft(ae)
        ae.full_clean()
        ae.save()
    return ae


@records_actor
def adverse_event_draft_update(
    *,
    actor: User,
    adverse_event: AdverseEvent,
    verbatim_term: str,
    onset_at: datetime.datetime,
    description: str,
    expected_version: int,
    reason: str = "",
) -> AdverseEvent:
    """Change a draft; refused if someone saved it after `expected_version` was read."""
    ae = adverse_event
    if not actor.has_perm(CHANGE_AE, ae):
        raise PermissionDenied(CHANGE_REFUSED)
    with transaction.atomic():
        if ae.status != AdverseEvent.Status.DRAFT:
            raise AdverseEventError(DRAFT_ONLY)
        ae.verbatim_term = verbatim_term
        ae.onset_at = onset_at
        ae.description = description
        _check_draft(ae)
        versioned_save(instance=ae, expected_version=expected_version, reason=reason.strip())
    return ae

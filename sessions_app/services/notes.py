"""Writes of integration notes: confidential, site staff only, every view and change audited."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.models import User
from audit.context import records_actor
from audit.services import ConcurrentEditError, access_log, versioned_save
from sessions_app.models import IntegrationNote, Visit
from sessions_app.services.visits import visit_mark_held

ADD_NOTE = "sessions_app.add_integrationnote"
CHANGE_NOTE = "sessions_app.change_integrationnote"
WRITE_REFUSED = "Your role does not include writing integration notes."

# What a user writes in a note; everything else (visit, author, version, times) is set here.
NOTE_FIELDS = (
    "themes",
    "participant_report",
    "cssrs_ideation",
    "cssrs_behaviour",
    "safety_notes",
    "plan",
    "free_text",
)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _held_changed(visit: Visit, held_on: datetime.date, deviation_explanation: str) -> bool:
    """Whether the day held or the explanation of a deviation differ from what is recorded."""
    if visit.status != Visit.Status.HELD or visit.held_on != held_on:
        return True
    return visit.is_out_of_window and deviation_explanation.strip() != visit.deviation_explanation


def _after_dosing(visit: Visit, held_on: datetime.date) -> None:
    """Notes follow their dosing session: it has started, and was held on or before `held_on`."""
    closed = visit.notes_closed_reason
    if closed:
        raise ValidationError(closed)
    dosing_visit = visit.dosing_visit
    if dosing_visit is not None and held_on < dosing_visit.held_on:
        raise ValidationError(
            {
                "held_on": f"{visit.label} follows {dosing_visit.label}, held on "
                f"{dosing_visit.held_on:%d %b %Y}: it cannot have been held before that day."
            }
        )


@records_actor
def integration_note_write(
    *,
    actor: User,
    visit: Visit,
    data: dict,
    held_on: datetime.date,
    deviation_explanation: str = "",
    expected_version: int | None,
    reason: str = "",
) -> IntegrationNote:
    """Write the notes of an integration session, or change them.

    Notes are written only after their dosing session: once it has started (its visit held), and
    held on or after its day. The first write also records the visit as held on `held_on`
    (outside its window with an explanation of the deviation). A change needs a reason and the
    version the user opened:
    `expected_version=None` means the user expected no note yet, so a note written by someone
    else in the meantime is not overwritten.
    """
    unknown = set(data) - set(NOTE_FIELDS)
    if unknown:
        raise ValueError(f"Not fields of an integration note: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        visit = (
            Visit.objects.select_for_update(of=("self",))
            .select_related("participant__site", "dosing_visit__dosing_session")
            .get(pk=visit.pk)
        )
        if visit.kind != Visit.Kind.INTEGRATION:
            raise ValidationError(f"{visit.label} is not an integration session: it has no notes.")
        note = IntegrationNote.objects.select_for_update().filter(visit=visit).first()
        if note is None:
            if not actor.has_perm(ADD_NOTE, visit):
                raise PermissionDenied(WRITE_REFUSED)
            if expected_version is not None:
                raise ConcurrentEditError("These notes no longer exist.")
            _after_dosing(visit, held_on)
            note = IntegrationNote(visit=visit, author=actor)
            for name, value in data.items():
                setattr(note, name, _strip(value))
            note.full_clean()
            note.visit = visit_mark_held(
                actor=actor,
                visit=visit,
                held_on=held_on,
                deviation_explanation=deviation_explanation,
            )
            note.save()
            return note

        if not actor.has_perm(CHANGE_NOTE, visit):
            raise PermissionDenied("Your role does not include changing integration notes.")
        if expected_version is None or expected_version != note.version:
            raise ConcurrentEditError(
                "Someone else saved the notes of this session after you opened them. "
                "Your input is shown below; review the saved notes and save again."
            )
        _after_dosing(visit, held_on)
        reason = reason.strip()
        if not reason:
            raise ValidationError({"reason": "Say why these notes are being changed."})
        if _held_changed(visit, held_on, deviation_explanation):
            note.visit = visit_mark_held(
                actor=actor,
                visit=visit,
                held_on=held_on,
                deviation_explanation=deviation_explanation,
                reason=reason,
            )
        for name, value in data.items():
            setattr(note, name, _strip(value))
        versioned_save(instance=note, expected_version=expected_version, reason=reason)
    return note


@records_actor
def integration_note_view(*, actor: User, note: IntegrationNote) -> None:
    """Every view of an integration note leaves an access entry in the audit trail."""
    access_log(actor=actor, instance=note, what="integration note")

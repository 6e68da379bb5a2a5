"""Signing, locking and unlocking a participant's casebook.

The site investigator signs it once its checklist is met (`checklist`), with their password
again; the study administrator locks a signed casebook, and unlocks a locked one with a reason.
Each service locks the casebook's row (made on first use), so that of two administrators locking
at once one locks it and the other is told. While it is locked, participants.casebook refuses
every write to the participant's clinical records.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format

from audit.context import change_reason, records_actor
from audit.models import chain_lock
from participants.casebook import CasebookLocked, locked_message
from participants.models import Casebook, Participant
from queries.selectors import participant_open_count, sdv_outstanding
from records.edits import StepRefused, reason_required
from sessions_app.models import DosingSession, Visit
from signatures.models import Signature
from signatures.services import (
    SignatureRefusedError,
    signature_password_confirm,
    signature_sign,
)

SIGN = "participants.sign_casebook"
LOCK = "participants.lock_casebook"

SIGN_STATEMENT = (
    "I have reviewed this participant's casebook: its records are complete and accurate."
)
UNLOCK_REASON = "Say why the casebook is unlocked: it is kept with the audit trail."
NOT_SIGNED = "Only a signed casebook can be locked: the site investigator signs it first."


@dataclass(frozen=True)
class ChecklistItem:
    """One condition of signing: what it asks, whether it is met, and what is missing if not."""

    label: str
    met: bool
    missing: str = ""


def _visits_item(participant: Participant) -> ChecklistItem:
    """Screening ended (enrolled, screen failure, withdrawn) and every visit ended: held (a
    dosing visit's session ended) or missed; a visit no longer expected (the participant left
    the study) counts as ended."""
    visits = Visit.objects.filter(participant=participant).select_related("dosing_session")
    not_ended = []
    for visit in visits:
        session = getattr(visit, "dosing_session", None)
        if visit.status == Visit.Status.SCHEDULED and participant.expects_visits:
            not_ended.append(visit.label)
        elif session is not None and session.status == DosingSession.Status.IN_PROGRESS:
            not_ended.append(f"{visit.label} (its session has not ended)")
    missing = f"visits not ended: {', '.join(not_ended)}" if not_ended else ""
    if participant.status == Participant.Status.SCREENING:
        # Still in screening: there is a course to come (or a screen failure to record).
        missing = "; ".join(filter(None, ["screening has not ended", missing]))
    label = "Screening and every visit have ended (held or missed)"
    return ChecklistItem(label, not missing, missing)


def _queries_item(participant: Participant) -> ChecklistItem:
    count = participant_open_count(participant=participant)
    missing = f"{count} data quer{'y' if count == 1 else 'ies'} open or awaiting review"
    return ChecklistItem(
        "No data query open or awaiting review", count == 0, missing if count else ""
    )


def _sdv_item(participant: Participant) -> ChecklistItem | None:
    """Every record verified against the source at its current version, where the study
    requires source-data verification (None where it does not)."""
    if not participant.site.study.sdv_required:
        return None
    count = sdv_outstanding(participant=participant)
    missing = f"{count} record{'' if count == 1 else 's'} not verified against the source"
    return ChecklistItem(
        "Every record verified against the source", count == 0, missing if count else ""
    )


def checklist(participant: Participant) -> list[ChecklistItem]:
    """What signing the casebook needs, in the order the page shows it."""
    items = [_visits_item(participant), _queries_item(participant), _sdv_item(participant)]
    return [item for item in items if item is not None]


def _refuse_unmet(participant: Participant) -> None:
    missing = [item.missing for item in checklist(participant) if not item.met]
    if missing:
        raise StepRefused(f"The casebook cannot be signed yet: {'; '.join(missing)}.")


def _casebook_locked_row(participant: Participant) -> Casebook:
    """The participant's casebook (made now, on first use), its row locked. Nothing is joined:
    a row read again after waiting for the lock would come with its joined rows as they were
    before the wait (who locked it is read afterwards). The audit chain's lock is taken first:
    a write to the participant's records that voids the signature holds it when it locks the
    casebook (participants.casebook), and both take the two locks in that order."""
    chain_lock()
    casebook, _ = Casebook.objects.get_or_create(participant=participant)
    return Casebook.objects.select_for_update().get(pk=casebook.pk)


def _save(casebook: Casebook) -> Casebook:
    casebook.full_clean()
    casebook.save()
    return casebook


@records_actor
def casebook_sign(
    *, actor, participant: Participant, password: str, request: HttpRequest | None = None
) -> Casebook:
    """The investigator's signature on the casebook (meaning: approved), once its checklist is
    met; refused with what is missing, or beside the password when it is not the signer's."""
    if not actor.has_perm(SIGN, participant):
        raise PermissionDenied("Your role does not include signing this participant's casebook.")
    _refuse_unmet(participant)
    try:
        signature_password_confirm(signer=actor, password=password, request=request)
    except SignatureRefusedError as error:
        raise ValidationError({"password": str(error)}) from error
    with transaction.atomic():
        casebook = _casebook_locked_row(participant)
        if casebook.is_locked:
            raise CasebookLocked(locked_message(casebook))
        if casebook.state == Casebook.State.SIGNED:
            raise StepRefused("This casebook was signed meanwhile: nothing was changed.")
        _refuse_unmet(participant)
        casebook.state = Casebook.State.SIGNED
        _save(casebook)
        signature_sign(
            signer=actor,
            record=casebook,
            meaning=Signature.Meaning.APPROVED,
            password=password,
            statement=SIGN_STATEMENT,
        )
    return casebook


@records_actor
def casebook_lock(*, actor, participant: Participant) -> Casebook:
    """Lock a signed casebook: from now on no write to the participant's records is saved."""
    if not actor.has_perm(LOCK, participant):
        raise PermissionDenied("Your role does not include locking casebooks.")
    with transaction.atomic():
        casebook = _casebook_locked_row(participant)
        if casebook.is_locked:
            when = date_format(timezone.localtime(casebook.locked_at), "d M Y H:i")
            raise StepRefused(
                f"This casebook was locked meanwhile by {casebook.locked_by.printed_name} at "
                f"{when}: nothing was changed."
            )
        if casebook.state != Casebook.State.SIGNED:
            raise StepRefused(NOT_SIGNED)
        casebook.state = Casebook.State.LOCKED
        casebook.locked_at = timezone.now()
        casebook.locked_by = actor
        return _save(casebook)


@records_actor
def casebook_unlock(*, actor, participant: Participant, reason: str) -> Casebook:
    """Unlock a locked casebook, with the reason (kept with the audit entry). It stays signed:
    the next change of the participant's records voids the signature."""
    if not actor.has_perm(LOCK, participant):
        raise PermissionDenied("Your role does not include unlocking casebooks.")
    reason = reason_required(reason, UNLOCK_REASON)
    with transaction.atomic(), change_reason(reason):
        casebook = _casebook_locked_row(participant)
        if not casebook.is_locked:
            raise StepRefused("This casebook is not locked (it was unlocked meanwhile).")
        casebook.state = Casebook.State.SIGNED
        casebook.locked_at = None
        casebook.locked_by = None
        casebook.unlocked_at = timezone.now()
        casebook.unlocked_by = actor
        casebook.unlock_reason = reason
        return _save(casebook)

"""The guard of a locked casebook: no write to a participant's clinical records is saved while
their casebook is locked, and a write while it is signed voids the investigator's signature.

It is one pre-save and pre-delete receiver for every audited model of the apps (connected in
ParticipantsConfig.ready), so that a new model or a new write path is guarded without asking.
A record names its participant by a `participant` attribute (a foreign key, or a property
through the records above it); a model with none is study-wide (settings, criteria) and is not
guarded; a model that says `casebook_guarded_fields = (...)` is guarded in those fields only
(an identity's date of birth and sex, not its names and contacts); one that says
`casebook_exempt = True` is not clinical data (an alert's notifications); one that says
`casebook_review = True` is a monitor's review of the data (refused while locked, but it leaves
a signature standing). A signature is guarded through the record it signs.

The refusal is a records.edits.StepRefused, which the pages show above the form with what the
user typed still there.
"""

from django.db import transaction
from django.db.models.signals import pre_delete, pre_save
from django.utils import timezone
from django.utils.formats import date_format

from audit.models import AuditedModel, chain_lock
from participants.models import Casebook, Participant
from records.edits import StepRefused
from signatures.models import Signature
from signatures.services import signature_void_outdated

# Models of the audit trail and of the accounts are no participant's records.
UNGUARDED_APPS = frozenset({"audit", "accounts"})
SIGNATURE_VOIDED = "A record of the participant changed after the casebook was signed."


class CasebookLocked(StepRefused):
    """A write to a record of a participant whose casebook is locked."""


def locked_message(casebook: Casebook) -> str:
    when = date_format(timezone.localtime(casebook.locked_at), "d M Y")
    return (
        f"This participant's casebook is locked (by {casebook.locked_by.printed_name} on "
        f"{when}): no change can be saved until the study administrator unlocks it."
    )


def participant_id_of(record) -> int | None:
    """The participant whose clinical record `record` is, or None (a study-wide record)."""
    if isinstance(record, Participant):
        return record.pk
    if isinstance(record, Signature):
        signed = record.record
        return None if signed is None or isinstance(signed, Casebook) else participant_id_of(signed)
    participant_id = getattr(record, "participant_id", None)
    if participant_id is not None:
        return participant_id
    participant = getattr(record, "participant", None)
    return participant.pk if isinstance(participant, Participant) else None


def guarded(model) -> bool:
    """Whether writes of `model` pass the guard (an audited model of the apps, or a signature)."""
    return (
        issubclass(model, AuditedModel)
        and model._meta.app_label not in UNGUARDED_APPS
        and model is not Casebook
        and not getattr(model, "casebook_exempt", False)
    )


def casebook_refuse_locked(participant_id: int | None) -> Casebook | None:
    """Refuse a write to a record of the participant while the casebook is locked (a service
    asks it before the work that comes before its writes: a password check, locks of its own);
    the participant's casebook otherwise, or None before its first use."""
    if participant_id is None:
        return None
    casebook = (
        Casebook.objects.filter(participant_id=participant_id).select_related("locked_by").first()
    )
    if casebook is not None and casebook.is_locked:
        raise CasebookLocked(locked_message(casebook))
    return casebook


def casebook_write_check(participant_id: int | None, *, voids_signature: bool = True) -> None:
    """Before a write to a record of the participant: refuse it while the casebook is locked;
    while it is signed, void the signature (the casebook is open again, to be signed anew).

    Call it inside the write's transaction (the pre-save receiver does, for every save); a
    service that starts with other work (a password check, a lock of its own) asks it first.
    """
    if participant_id is None:
        return
    if transaction.get_connection().in_atomic_block:
        # The chain's lock before the casebook is read: a signature (or a lock) being given now
        # holds it, and this write reads the casebook as that left it (a write that reads it
        # first holds the lock until it commits, and the signing then finds what it wrote).
        chain_lock()
    casebook = casebook_refuse_locked(participant_id)
    if casebook is None or casebook.state == Casebook.State.OPEN or not voids_signature:
        return
    with transaction.atomic():
        # Read again under lock (nothing joined, which would be read as before the wait):
        # locked meanwhile (refused), or opened by another write. The chain's lock first, as
        # the casebook services take it: this write may hold it already (an entry written).
        chain_lock()
        casebook = Casebook.objects.select_for_update().get(pk=casebook.pk)
        if casebook.is_locked:
            raise CasebookLocked(locked_message(casebook))
        if casebook.state == Casebook.State.SIGNED:
            casebook_signature_void(casebook, reason=SIGNATURE_VOIDED)


def casebook_signature_void(casebook: Casebook, *, reason: str) -> None:
    """The casebook open again, its signatures voided with `reason`."""
    casebook.state = Casebook.State.OPEN
    casebook.full_clean()
    casebook.save()
    signature_void_outdated(record=casebook, reason=reason)


def _guarded_fields_unchanged(sender, instance) -> bool:
    """For a model guarded in some fields only (`casebook_guarded_fields`): an existing record
    saved with those fields as they are stored."""
    fields = getattr(sender, "casebook_guarded_fields", None)
    if not fields or instance._state.adding or instance.pk is None:
        return False
    stored = sender._default_manager.filter(pk=instance.pk).values(*fields).first()
    return stored is not None and all(stored[name] == getattr(instance, name) for name in fields)


def _before_write(sender, instance, raw=False, **kwargs) -> None:
    if raw or not guarded(sender) or _guarded_fields_unchanged(sender, instance):
        return
    # A monitor's review of the data (a source-data verification mark, an alert's acknowledgement)
    # is refused while the casebook is locked but leaves the investigator's signature standing.
    voids = not getattr(sender, "casebook_review", False)
    casebook_write_check(participant_id_of(instance), voids_signature=voids)


def connect() -> None:
    pre_save.connect(_before_write, dispatch_uid="casebook_guard_save")
    pre_delete.connect(_before_write, dispatch_uid="casebook_guard_delete")

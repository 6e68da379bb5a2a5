"""Writes of participants and identities: numbered under a lock, validated, audited."""

import datetime

from django.db import transaction

from accounts.models import Site, User
from audit.context import change_reason, records_actor
from audit.services import access_log, versioned_save
from participants.models import Participant, ParticipantIdentity


def _next_number(values: list[str]) -> int:
    return max((int(v.rsplit("-", 1)[1]) for v in values if v), default=0) + 1


@records_actor
def participant_register(
    *, actor: User, site: Site, identity: dict, reason: str = ""
) -> Participant:
    """Start screening a candidate at `site`: a screening number and a separate identity record."""
    with transaction.atomic(), change_reason(reason):
        site = Site.objects.select_for_update().get(pk=site.pk)
        existing = list(
            Participant.objects.filter(site=site).values_list("screening_number", flat=True)
        )
        participant = Participant(
            site=site, screening_number=f"SCR{site.number}-{_next_number(existing):04d}"
        )
        participant.full_clean()
        participant.save()
        record = ParticipantIdentity(participant=participant, **identity)
        record.full_clean()
        record.save()
    return participant


@records_actor
def participant_enrol(
    *, actor: User, participant: Participant, on: datetime.date, reason: str = ""
) -> Participant:
    """Give a screened candidate a participant ID (S01-0007) and the enrolled status."""
    with transaction.atomic(), change_reason(reason):
        Site.objects.select_for_update().get(pk=participant.site_id)
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        if participant.status != Participant.Status.SCREENING:
            raise ValueError(f"{participant.label} is not in screening.")
        codes = list(
            Participant.objects.filter(
                site_id=participant.site_id, study_code__isnull=False
            ).values_list("study_code", flat=True)
        )
        participant.study_code = f"S{participant.site.number}-{_next_number(codes):04d}"
        participant.status = Participant.Status.ENROLLED
        participant.enrolled_on = on
        participant.full_clean()
        participant.save()
    return participant


@records_actor
def participant_set_status(
    *, actor: User, participant: Participant, status: str, reason: str
) -> Participant:
    if status == Participant.Status.WITHDRAWN:
        raise ValueError("A withdrawal has a day and a reason: use participant_withdraw.")
    with transaction.atomic(), change_reason(reason):
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        participant.status = status
        participant.full_clean()
        participant.save()
    return participant


@records_actor
def identity_view(*, actor: User, identity: ParticipantIdentity) -> None:
    """Every view of an identity leaves an access entry in the audit trail."""
    access_log(actor=actor, instance=identity, what="identity")


@records_actor
def identity_update(
    *, actor: User, identity: ParticipantIdentity, expected_version: int, reason: str
) -> ParticipantIdentity:
    """Save an edited identity; refused if someone else saved it first."""
    return versioned_save(instance=identity, expected_version=expected_version, reason=reason)

"""Reads of signatures. Callers pass records they have already loaded within the user's scope."""

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import CharField, Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Cast

from signatures.models import Signature


def signatures_for(*, record: models.Model) -> QuerySet[Signature]:
    return Signature.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_pk=str(record.pk)
    ).select_related("signer")


def signed_by(*, record: models.Model, signer) -> bool:
    """Whether `signer` has a signature that still holds for the record as it is now."""
    return any(
        s.signer_id == signer.pk and s.is_valid_for(record) for s in signatures_for(record=record)
    )


def signature_rows(*, record: models.Model) -> list[dict]:
    """Each signature with whether it still holds for the record as it is now."""
    return [
        {"signature": s, "valid": s.is_valid_for(record)} for s in signatures_for(record=record)
    ]


def with_signature_state(records: QuerySet) -> QuerySet:
    """`records` (of a versioned model), each annotated, in the same query, with `signed` (a
    signature holds for its current version) and `signature_voided_at` (when the last of its
    signatures was voided by a change, or None)."""
    signatures = Signature.objects.filter(
        content_type=ContentType.objects.get_for_model(records.model),
        object_pk=Cast(OuterRef("pk"), output_field=CharField()),
    )
    return records.annotate(
        signed=Exists(
            signatures.filter(record_version=OuterRef("version"), voided_at__isnull=True)
        ),
        signature_voided_at=Subquery(
            signatures.filter(voided_at__isnull=False)
            .order_by("-voided_at")
            .values("voided_at")[:1]
        ),
    )

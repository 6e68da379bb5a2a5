"""Reads of signatures. Callers pass records they have already loaded within the user's scope."""

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet

from signatures.models import Signature


def signatures_for(*, record: models.Model) -> QuerySet[Signature]:
    return Signature.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_pk=str(record.pk)
    ).select_related("signer")


def signature_rows(*, record: models.Model) -> list[dict]:
    """Each signature with whether it still holds for the record as it is now."""
    return [
        {"signature": s, "valid": s.is_valid_for(record)} for s in signatures_for(record=record)
    ]

"""Signing and voiding. A signature is only written after the signer's password is checked."""

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from accounts.models import User
from audit.context import change_reason
from signatures.models import Signature


class SignatureRefusedError(Exception):
    """The password did not match: no signature was recorded."""


def signature_sign(
    *,
    signer: User,
    record: models.Model,
    meaning: str,
    password: str,
    statement: str = "",
) -> Signature:
    """Sign `record` at its current version after checking `password` again."""
    if not signer.is_active or not signer.check_password(password):
        raise SignatureRefusedError("The password is not correct. Nothing was signed.")
    with transaction.atomic():
        signature = Signature(
            content_type=ContentType.objects.get_for_model(record),
            object_pk=str(record.pk),
            record_version=record.version,
            signer=signer,
            printed_name=signer.printed_name,
            meaning=meaning,
            statement=statement,
            signed_at=timezone.now(),
        )
        signature.full_clean()
        signature.save()
    return signature


def signature_void_outdated(*, record: models.Model, reason: str) -> list[Signature]:
    """Void every signature of `record` that was given to an earlier version of it."""
    voided = []
    with transaction.atomic(), change_reason(reason):
        outdated = (
            Signature.objects.select_for_update()
            .filter(
                content_type=ContentType.objects.get_for_model(record),
                object_pk=str(record.pk),
                voided_at__isnull=True,
            )
            .exclude(record_version=record.version)
        )
        for signature in outdated:
            signature.voided_at = timezone.now()
            signature.void_reason = reason or "The signed record was changed."
            signature.full_clean()
            signature.save()
            voided.append(signature)
    return voided

"""Signing and voiding. A signature is only written after the signer's password is checked."""

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from accounts.passwords import AccountLockedError, PasswordRefusedError, password_confirm
from audit.context import change_reason
from signatures.models import Signature


class SignatureRefusedError(Exception):
    """The password did not match, or the account is locked out: no signature was recorded."""


def signature_password_confirm(
    *, signer: User, password: str, request: HttpRequest | None = None
) -> None:
    """Refuse to sign unless `password` is the signer's and the account is not locked out.

    With `request` the attempt counts toward the signer's lockout (accounts.passwords), so call it
    before opening a transaction that the refusal rolls back.
    """
    try:
        password_confirm(user=signer, password=password, request=request)
    except AccountLockedError as error:
        raise SignatureRefusedError(f"{error} Nothing was signed.") from error
    except PasswordRefusedError as error:
        raise SignatureRefusedError("The password is not correct. Nothing was signed.") from error


def signature_sign(
    *,
    signer: User,
    record: models.Model,
    meaning: str,
    password: str,
    statement: str = "",
    request: HttpRequest | None = None,
) -> Signature:
    """Sign `record` at its current version after checking `password` again.

    A caller that signs inside its own transaction confirms the password with
    `signature_password_confirm(request=...)` before opening it and passes no request here (a
    plain check): the failure recorded for the lockout would otherwise be rolled back with it.
    """
    signature_password_confirm(signer=signer, password=password, request=request)
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

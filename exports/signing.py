"""The server's signature of each export's manifest: Ed25519, with the private key from the
environment (EXPORT_SIGNING_KEY, base64 of its 32 raw bytes). Recipients verify it with the
public key (`manage.py export_public_key` prints it) and the `cryptography` package."""

import base64
import binascii

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

KEY_HELP = (
    "EXPORT_SIGNING_KEY must be base64 of a raw 32-byte Ed25519 private key, e.g. from "
    "python -c 'import base64, secrets; print(base64.b64encode(secrets.token_bytes(32)).decode())'"
)


def parse_signing_key(value: str) -> Ed25519PrivateKey:
    """The private key `value` gives (base64 of its 32 raw bytes); refused with KEY_HELP."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ImproperlyConfigured(KEY_HELP) from error
    if len(raw) != 32:
        raise ImproperlyConfigured(KEY_HELP)
    return Ed25519PrivateKey.from_private_bytes(raw)


def private_key() -> Ed25519PrivateKey:
    return parse_signing_key(settings.EXPORT_SIGNING_KEY)


def sign(data: bytes) -> bytes:
    return private_key().sign(data)


def public_key_pem() -> str:
    """The public key that verifies the server's signatures, as PEM (SubjectPublicKeyInfo)."""
    return (
        private_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def verify(public_pem: str, data: bytes, signature: bytes) -> bool:
    """Whether `signature` is the signature of `data` by the holder of the key `public_pem`."""
    key = serialization.load_pem_public_key(public_pem.encode())
    if not isinstance(key, Ed25519PublicKey):
        return False
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True

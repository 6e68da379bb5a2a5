"""How identity fields and confidential records appear in the audit trail: never in clear."""

from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from django.contrib.contenttypes.models import ContentType

REDACTED = "[redacted]"
CONFIDENTIAL_NOTICE = "confidential: see the record's history in the app"


def redact(value: str) -> str:
    return REDACTED if value not in ("", "None", None) else value


def is_confidential(content_type: "ContentType | None") -> bool:
    """Whether the audited values of this type of record are confidential.

    The set is the `AUDIT_CONFIDENTIAL_MODELS` setting ("app_label.model"). Such values are shown
    only on the record's own history page in the app, which checks the record's own permission.
    """
    if content_type is None:
        return False
    label = f"{content_type.app_label}.{content_type.model}"
    return label in {name.lower() for name in settings.AUDIT_CONFIDENTIAL_MODELS}

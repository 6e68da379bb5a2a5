from django.contrib import admin

from audit.admin import ReadOnlyAdmin
from signatures.models import Signature


@admin.register(Signature)
class SignatureAdmin(ReadOnlyAdmin):
    """Read-only: signatures are given and voided only through the application."""

    list_display = [
        "printed_name",
        "meaning",
        "content_type",
        "object_pk",
        "record_version",
        "signed_at",
        "voided_at",
    ]
    list_filter = ["meaning", "content_type"]

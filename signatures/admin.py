from django.contrib import admin

from signatures.models import Signature


@admin.register(Signature)
class SignatureAdmin(admin.ModelAdmin):
    """Read-only: signatures are given and voided only through the application."""

    list_display = ["printed_name", "meaning", "content_type", "object_pk", "record_version",
                    "signed_at", "voided_at"]
    list_filter = ["meaning", "content_type"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

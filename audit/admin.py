from django.contrib import admin
from django.contrib.admin.utils import display_for_field
from django.db.models.constants import LOOKUP_SEP

from audit.masking import CONFIDENTIAL_NOTICE, is_confidential
from audit.models import LogEntry

# django-auditlog registers its own admin for the entry model; ours is strictly read-only.
if admin.site.is_registered(LogEntry):
    admin.site.unregister(LogEntry)


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records written only through the application: the admin may list them, never edit."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# The fields of an entry that hold the audited record's values.
VALUE_FIELDS = ("changes_text", "changes", "serialized_data")


def _shown(name: str) -> str:
    return f"{name}_shown" if name in VALUE_FIELDS else name


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyAdmin):
    """Read-only view of the audit trail for study administrators.

    The values of confidential records (settings.AUDIT_CONFIDENTIAL_MODELS, such as integration
    notes) are never shown here, nor can the list be filtered on them: only the record's own
    history page in the app shows them, to those allowed to read the record.
    """

    list_display = ["seq", "timestamp", "actor", "action", "object_repr", "reason"]
    list_filter = ["action", "content_type"]
    search_fields = ["object_repr", "reason", "actor__username"]
    list_select_related = ["actor", "content_type"]
    fields = readonly_fields = [_shown(f.name) for f in LogEntry._meta.fields]
    actions = None

    def _value(self, obj: LogEntry, name: str):
        if is_confidential(obj.content_type):
            return CONFIDENTIAL_NOTICE
        field = LogEntry._meta.get_field(name)
        return display_for_field(getattr(obj, name), field, self.get_empty_value_display())

    @admin.display(description="changes text")
    def changes_text_shown(self, obj: LogEntry):
        return self._value(obj, "changes_text")

    @admin.display(description="changes")
    def changes_shown(self, obj: LogEntry):
        return self._value(obj, "changes")

    @admin.display(description="serialized data")
    def serialized_data_shown(self, obj: LogEntry):
        return self._value(obj, "serialized_data")

    def lookup_allowed(self, lookup, value, request=None):
        # A filter on the values (?changes__icontains=...) would tell which entries hold a text.
        if lookup.split(LOOKUP_SEP, 1)[0] in VALUE_FIELDS:
            return False
        return super().lookup_allowed(lookup, value, request)

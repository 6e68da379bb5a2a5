from django.contrib import admin

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


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyAdmin):
    """Read-only view of the audit trail for study administrators."""

    list_display = ["seq", "timestamp", "actor", "action", "object_repr", "reason"]
    list_filter = ["action", "content_type"]
    search_fields = ["object_repr", "reason", "actor__username"]
    list_select_related = ["actor", "content_type"]
    readonly_fields = [f.name for f in LogEntry._meta.fields]
    actions = None

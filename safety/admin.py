from django.contrib import admin

from audit.admin import ReadOnlyAdmin
from safety.models import AdverseEvent, AdverseEventReport


@admin.register(AdverseEvent)
class AdverseEventAdmin(ReadOnlyAdmin):
    """Read-only: adverse events are reported and changed through the application."""

    list_display = ["pk", "participant_label", "verbatim_term", "onset_at", "status"]
    list_filter = ["status"]
    list_select_related = ["participant"]
    actions = None

    @admin.display(description="participant")
    def participant_label(self, obj: AdverseEvent) -> str:
        return obj.participant.label


@admin.register(AdverseEventReport)
class AdverseEventReportAdmin(ReadOnlyAdmin):
    """Read-only: reports are submitted and signed through the application."""

    list_display = ["pk", "adverse_event", "number", "final", "drafted_at", "signed_at"]
    list_filter = ["final"]
    list_select_related = ["adverse_event"]
    actions = None

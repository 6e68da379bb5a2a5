from django.contrib import admin

from accounts.admin import StudyScopedAdmin
from audit.admin import ReadOnlyAdmin
from screening.models import CriteriaSet, Criterion, ScreeningAttempt, StudyScreeningConfig


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0
    fields = ["order", "code", "kind", "text", "measurement", "operator", "bound"]


@admin.register(CriteriaSet)
class CriteriaSetAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    inlines = [CriterionInline]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StudyScreeningConfig)
class StudyScreeningConfigAdmin(StudyScopedAdmin):
    """Where the study administrator picks the criteria set their study screens against."""

    list_display = ["study", "criteria_set"]
    list_select_related = ["study", "criteria_set"]


@admin.register(ScreeningAttempt)
class ScreeningAttemptAdmin(ReadOnlyAdmin):
    """Read-only: screenings are entered and signed through the application."""

    list_display = ["participant", "number", "screened_on", "status", "decision"]
    list_filter = ["status", "decision"]
    list_select_related = ["participant"]

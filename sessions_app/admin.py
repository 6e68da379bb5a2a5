from django.contrib import admin

from accounts.admin import StudyScopedAdmin
from audit.admin import ReadOnlyAdmin
from sessions_app.models import AlertNotification, StudySessionSettings, VitalSignAlert


@admin.register(StudySessionSettings)
class StudySessionSettingsAdmin(StudyScopedAdmin):
    """Where the study administrator sets their study's vital-sign thresholds and intervals."""

    list_display = [
        "study",
        "systolic_max",
        "diastolic_max",
        "pulse_max",
        "temperature_max",
        "reading_interval_minutes",
        "alert_interval_minutes",
    ]
    list_select_related = ["study"]
    fieldsets = [
        (None, {"fields": ["study"]}),
        (
            "Vital-sign thresholds (a reading above one is flagged and alerts the monitors)",
            {"fields": ["systolic_max", "diastolic_max", "pulse_max", "temperature_max"]},
        ),
        (
            "Monitoring intervals",
            {"fields": ["reading_interval_minutes", "alert_interval_minutes"]},
        ),
        (
            "Supplemental half dose window",
            {"fields": ["supplemental_earliest_minutes", "supplemental_latest_minutes"]},
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        # A study's settings stay attached to that study.
        return ["study"] if obj is not None else []


@admin.register(VitalSignAlert)
class VitalSignAlertAdmin(ReadOnlyAdmin):
    """Read-only: alerts are raised by readings and acknowledged through the application."""

    list_display = ["raised_at", "site", "participant_label", "acknowledged_at", "acknowledged_by"]
    list_filter = [("site", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["site", "acknowledged_by", "reading__session__visit__participant"]
    actions = None

    @admin.display(description="participant")
    def participant_label(self, obj: VitalSignAlert) -> str:
        return obj.reading.session.visit.participant.label


@admin.register(AlertNotification)
class AlertNotificationAdmin(ReadOnlyAdmin):
    list_display = ["alert", "kind", "recipient", "sent_at"]
    list_filter = ["kind"]
    list_select_related = ["alert__reading", "recipient"]
    actions = None

from django import forms
from django.contrib import admin

from accounts.admin import StudyScopedAdmin
from audit.admin import ReadOnlyAdmin
from audit.context import change_reason
from records import measurements
from records.forms import text_field
from sessions_app.models import AlertNotification, StudySessionSettings, VitalSignAlert

SETTINGS_REASON_REQUIRED = (
    "Say why the study's settings change: they decide which readings are flagged and alerted."
)


class StudySessionSettingsForm(forms.ModelForm):
    """The settings, and why they change (kept with the change in the audit trail)."""

    reason = text_field(
        "Reason for change",
        max_length=500,
        help_text="Kept in the audit trail with the values before and after.",
    )

    class Meta:
        model = StudySessionSettings
        fields = [
            "study",
            *(m.threshold_setting for m in measurements.VITAL_SIGNS),
            "reading_interval_minutes",
            "alert_interval_minutes",
            "supplemental_earliest_minutes",
            "supplemental_latest_minutes",
        ]

    def clean_reason(self) -> str:
        reason = self.cleaned_data.get("reason", "").strip()
        if self.instance.pk and not reason:
            raise forms.ValidationError(SETTINGS_REASON_REQUIRED)
        return reason


@admin.register(StudySessionSettings)
class StudySessionSettingsAdmin(StudyScopedAdmin):
    """Where the study administrator sets their study's vital-sign thresholds and intervals; a
    change says why."""

    form = StudySessionSettingsForm

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
        (None, {"fields": ["reason"]}),
    ]

    def save_model(self, request, obj, form, change):
        with change_reason(form.cleaned_data.get("reason") or "Study session settings set"):
            super().save_model(request, obj, form, change)

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

"""Vital-sign alerts: a reading over a threshold raised to the study's medical monitors, and the
record of each email telling them of it.

Audited (registered at the bottom).
"""

from auditlog.registry import auditlog
from django.db import models
from django.db.models import Q

from accounts.models import Site
from audit.models import AuditedModel
from participants.models import Participant
from records.fields import user_field
from sessions_app.models.flowsheet import VitalSignReading

# Still waiting for a monitor: neither acknowledged nor retracted (selectors.open_alerts).
OPEN = Q(acknowledged_at__isnull=True, retracted_at__isnull=True)


class VitalSignAlert(AuditedModel):
    """A reading over a threshold, raised to the study's medical monitors."""

    # Its acknowledgement is a monitor's review: refused on a locked casebook, but a signed one
    # stays signed (participants.casebook); the reading's own change voids the signature.
    casebook_review = True

    reading = models.OneToOneField(VitalSignReading, on_delete=models.PROTECT, related_name="alert")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="vital_sign_alerts")
    exceeded = models.JSONField(help_text="Each measurement over its threshold, with the limit.")
    raised_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = user_field(optional=True)
    corrected_at = models.DateTimeField(
        null=True, blank=True, help_text="When the reading was last corrected after the alert."
    )
    correction_reason = models.TextField(blank=True)
    retracted_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set when a correction brought the reading back within every threshold.",
    )

    class Meta:
        ordering = ["-raised_at", "-pk"]
        permissions = [("acknowledge_vitalsignalert", "Can acknowledge vital-sign alerts")]
        indexes = [
            models.Index(fields=["site", "raised_at"], name="alert_site_raised"),
            # The list's order (newest first) across the study's sites, and the open alerts'
            # (the monitor's home, the navigation's count).
            models.Index(fields=["-raised_at", "-id"], name="alert_newest"),
            models.Index(fields=["-raised_at", "-id"], condition=OPEN, name="alert_open_newest"),
            models.Index(fields=["site"], condition=OPEN, name="alert_open_site"),
        ]

    def __str__(self) -> str:
        return f"Alert on {self.reading}"

    @property
    def participant(self) -> Participant:
        return self.reading.session.visit.participant


class AlertNotification(AuditedModel):
    """That one monitor was emailed one kind of news of one alert: the record that makes it once.

    Raised: the reading went over a threshold. Retracted: a correction brought it back within
    every threshold. Reinstated: a later correction put a retracted alert back over a threshold.
    """

    class Kind(models.TextChoices):
        RAISED = "raised", "Raised"
        # Stored as "withdrawn", the code it had before the alert's "withdrawn" became
        # "retracted" (migration 0007): stored codes are not rewritten outside the audit trail.
        RETRACTED = "withdrawn", "Retracted"
        REINSTATED = "reinstated", "Reinstated"

    # A record that a monitor was told, not data of the participant: a locked casebook still
    # lets it be written (participants.casebook).
    casebook_exempt = True

    alert = models.ForeignKey(
        VitalSignAlert, on_delete=models.PROTECT, related_name="notifications"
    )
    recipient = user_field()
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.RAISED)
    email = models.EmailField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "recipient", "kind"], name="alert_notified_once_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.alert} ({self.get_kind_display()}) notified to {self.email}"


auditlog.register(VitalSignAlert)
auditlog.register(AlertNotification)

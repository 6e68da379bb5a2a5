"""Adverse events. A site opens one as a draft, for example from a reading over a threshold.

Only the draft exists so far: seriousness, severity, causality, submission and the monitor's
review are the adverse-event workflow's to add (see DESIGN.md, "Adverse events").
"""

from auditlog.registry import auditlog
from django.db import models

from audit.models import VersionedModel
from participants.models import Participant
from records.fields import optional_link, user_field


class AdverseEvent(VersionedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="adverse_events"
    )
    dosing_session = optional_link("sessions_app.DosingSession", related_name="adverse_events")
    source_reading = optional_link(
        "sessions_app.VitalSignReading",
        related_name="adverse_events",
        help_text="The vital-sign reading this event was opened from.",
    )
    verbatim_term = models.CharField(
        max_length=200, help_text="The event in the reporter's words, kept as written."
    )
    onset_at = models.DateTimeField("onset")
    description = models.TextField(max_length=4000, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    reported_by = user_field()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-onset_at", "-pk"]
        permissions = [("submit_adverseevent", "Can submit adverse events (investigator)")]

    def __str__(self) -> str:
        return f"AE {self.pk}: {self.verbatim_term}"


auditlog.register(AdverseEvent)

"""Integration notes: confidential, the participant's site staff only.

Audited (registered at the bottom); edited through forms, so versioned: a save that comes after
someone else's is refused.
"""

from auditlog.registry import auditlog
from django.db import models

from audit.models import VersionedModel
from participants.models import Participant
from records.fields import CSSRSIdeationField, user_field
from sessions_app.models.course import Visit


class IntegrationNote(VersionedModel):
    """Notes of one integration session. Confidential: the participant's site staff only."""

    visit = models.OneToOneField(Visit, on_delete=models.PROTECT, related_name="integration_note")
    themes = models.TextField("themes explored", max_length=4000)
    participant_report = models.TextField("what the participant reports", max_length=4000)
    cssrs_ideation = CSSRSIdeationField("C-SSRS ideation severity")
    cssrs_behaviour = models.BooleanField("suicidal behaviour since the last visit")
    safety_notes = models.TextField("safety check", max_length=4000, blank=True)
    plan = models.TextField(max_length=4000)
    free_text = models.TextField("further notes", max_length=10000, blank=True)
    author = user_field()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Notes of {self.visit}"

    @property
    def participant(self) -> Participant:
        return self.visit.participant


auditlog.register(IntegrationNote)

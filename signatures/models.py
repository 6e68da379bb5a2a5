"""Electronic signatures (21 CFR Part 11): who signed which version of which record, and why.

A signature names the record by content type and primary key and keeps the record's `version` at
signing. Any later edit bumps the version, which voids the signature: `is_valid_for(record)` says
so at once, and the service that saved the edit stamps `voided_at` and the reason.
"""

from auditlog.registry import auditlog
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from audit.models import AuditedModel


class Signature(AuditedModel):
    class Meaning(models.TextChoices):
        AUTHORED = "authored", "Authored"
        REVIEWED = "reviewed", "Reviewed"
        APPROVED = "approved", "Approved"

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_pk = models.CharField(max_length=64)
    record = GenericForeignKey("content_type", "object_pk")
    record_version = models.PositiveIntegerField(
        help_text="The version of the signed record at the moment of signing."
    )
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signatures"
    )
    printed_name = models.CharField(max_length=200)
    meaning = models.CharField(max_length=20, choices=Meaning.choices)
    statement = models.CharField(
        max_length=300, blank=True, help_text="What the signer attests, as shown when signing."
    )
    signed_at = models.DateTimeField()
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["signed_at", "pk"]
        indexes = [models.Index(fields=["content_type", "object_pk"], name="signature_record_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(voided_at__isnull=True) | ~Q(void_reason=""),
                name="signature_void_has_reason",
                violation_error_message="A voided signature needs the reason it was voided.",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_meaning_display()} by {self.printed_name} "
            f"at {self.signed_at:%Y-%m-%d %H:%M} UTC (version {self.record_version})"
        )

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None

    def is_valid_for(self, record) -> bool:
        """Valid while not voided and the record is still at the version that was signed."""
        return not self.is_void and getattr(record, "version", None) == self.record_version


auditlog.register(Signature)

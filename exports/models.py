"""An export of a study's de-identified data: who asked for it, with which options, and what it
wrote (each file's rows and SHA-256, in its signed manifest). Audited (registered at the bottom):
each export is a record of its own in the audit trail."""

from auditlog.registry import auditlog
from django.db import models
from django.utils import timezone

from accounts.models import Study
from audit.models import AuditedModel
from records.fields import user_field

ROWS_HELP = "Rows written per dataset."


class Export(AuditedModel):
    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="exports")
    requested_by = user_field()
    requested_at = models.DateTimeField(default=timezone.now)
    options = models.JSONField(
        help_text="Datasets, formats, sites, date handling and whether pseudonyms are stable."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    finished_at = models.DateTimeField(null=True, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField("size (bytes)", null=True, blank=True)
    sha256 = models.CharField("SHA-256 of the ZIP", max_length=64, blank=True)
    manifest = models.JSONField(default=dict, blank=True)
    rows = models.JSONField(default=dict, blank=True, help_text=ROWS_HELP)
    # Why a failed export failed, in words for its requester (never a value of the data).
    failure = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="running", finished_at__isnull=True)
                | (~models.Q(status="running") & models.Q(finished_at__isnull=False)),
                name="export_finished_has_time",
                violation_error_message="A finished export has the time it finished; a running "
                "one has none.",
            ),
        ]

    def __str__(self) -> str:
        return f"Export {self.pk} of {self.study_id and self.study}"


auditlog.register(Export)


class ExportProgress(models.Model):
    """How far a running export has got: rows written per dataset, updated by its task every
    few thousand rows. Not audited (it would flood the audit trail); what an export wrote is
    recorded on the Export itself when it finishes."""

    export = models.OneToOneField(Export, on_delete=models.CASCADE, related_name="progress")
    rows = models.JSONField(default=dict, blank=True, help_text=ROWS_HELP)
    # When its task began writing (none while the export waits for a worker).
    started_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Progress of export {self.export_id}"


class ExportDownload(AuditedModel):
    """A download of an export's package: who took the data away, and when."""

    export = models.ForeignKey(Export, on_delete=models.PROTECT, related_name="downloads")
    downloaded_by = user_field()
    downloaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-downloaded_at", "-pk"]

    def __str__(self) -> str:
        return f"Download of export {self.export_id} by {self.downloaded_by_id}"


auditlog.register(ExportDownload)

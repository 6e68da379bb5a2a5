"""An export run in the background for the export page: queued when it starts, its progress
(rows written per dataset, not audited), where its package lies, how long it is kept, and each
download of it (audited)."""

import datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Study, User
from audit.context import records_actor
from exports.models import Export, ExportDownload, ExportProgress
from exports.services import ExportOptions, export_finish, export_start

# How long an export's task may run (its hard time limit): a million rows and more, streamed.
RUN_LIMIT = datetime.timedelta(minutes=61)
# A running export whose progress has not moved for longer than its task may run has lost its
# worker (stopped, killed, or the machine restarted).
ABANDONED_AFTER = RUN_LIMIT + datetime.timedelta(minutes=5)
ABANDONED = "The export stopped before it finished (its worker ended); start it again."
# An export no worker has taken for this long was lost on its way to one.
NEVER_STARTED_AFTER = datetime.timedelta(days=1)
NEVER_STARTED = "No worker took the export up within a day; start it again."


def package_path(export: Export) -> Path:
    """Where the task writes the package of `export`."""
    return Path(settings.EXPORT_ROOT) / f"export-{export.pk}.zip"


def kept_until(export: Export) -> datetime.datetime | None:
    """Until when the package of a finished export can be downloaded (None: not finished)."""
    if export.finished_at is None:
        return None
    return export.finished_at + datetime.timedelta(days=settings.EXPORT_KEEP_DAYS)


def is_downloadable(export: Export) -> bool:
    """Whether the export's package is written and still kept."""
    until = kept_until(export)
    return export.status == Export.Status.DONE and until is not None and timezone.now() < until


@records_actor
def export_queue(*, actor: User, study: Study, options: ExportOptions) -> Export:
    """Start an export by `actor` and queue its task, which runs once the start has committed."""
    from exports.tasks import export_run

    with transaction.atomic():
        export = export_start(actor=actor, study=study, options=options)
        ExportProgress.objects.create(export=export)
        transaction.on_commit(lambda: export_run.delay(export.pk))
    return export


class ProgressRecorder:
    """The task's progress callback: keeps the rows written so far per dataset in the export's
    ExportProgress row (the package reports every few thousand rows and at each dataset's end)."""

    def __init__(self, export: Export):
        self.progress, _ = ExportProgress.objects.get_or_create(export=export)
        self.rows: dict[str, int] = dict(self.progress.rows)
        self.progress.started_at = timezone.now()  # the task has started
        self.progress.save(update_fields=["started_at", "updated_at"])

    def __call__(self, dataset: str, rows: int) -> None:
        self.rows[dataset] = rows
        self.progress.rows = self.rows
        self.progress.save(update_fields=["rows", "updated_at"])


@records_actor
def export_download_record(*, actor: User, export: Export) -> ExportDownload:
    """The audited record that `actor` downloaded the package of `export`."""
    with transaction.atomic():
        download = ExportDownload(export=export, downloaded_by=actor)
        download.full_clean()
        download.save()
    return download


def exports_abandoned_fail(now: datetime.datetime | None = None) -> list[Export]:
    """Record as failed every running export whose task started and then stood still for
    ABANDONED_AFTER (its worker is gone), or that no worker took up within NEVER_STARTED_AFTER:
    its page would otherwise show it running for ever. One waiting in a busy queue is left to
    run. Returns them."""
    now = now or timezone.now()
    running = Export.objects.filter(status=Export.Status.RUNNING).select_related("requested_by")
    stalled = running.filter(
        progress__started_at__isnull=False, progress__updated_at__lt=now - ABANDONED_AFTER
    )
    lost = running.filter(
        Q(progress__isnull=True) | Q(progress__started_at__isnull=True),
        requested_at__lt=now - NEVER_STARTED_AFTER,
    )
    failed = [export_finish(export, Export.Status.FAILED, failure=ABANDONED) for export in stalled]
    failed += [
        export_finish(export, Export.Status.FAILED, failure=NEVER_STARTED) for export in lost
    ]
    for export in failed:
        package_path(export).unlink(missing_ok=True)
    return failed

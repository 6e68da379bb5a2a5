"""The export page's background work: writing an export's package (started from the page), and
deleting the packages no longer kept (Celery beat, daily: CELERY_BEAT_SCHEDULE).

An export runs for minutes on a large study: its own time limits, and acknowledged when it
starts, so that a long run is not delivered again after the broker's visibility timeout. An
export whose worker died is recorded as failed once its progress has stood still for longer than
the task may run (exports_abandoned_fail, every 10 minutes); its requester starts another."""

import logging
import re
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from audit.context import acting_as
from exports.models import Export
from exports.runs import (
    RUN_LIMIT,
    ProgressRecorder,
    exports_abandoned_fail,
    kept_until,
    package_path,
)
from exports.services import export_write

logger = logging.getLogger(__name__)

# A million rows and more: streamed, minutes rather than seconds.
EXPORT_LIMITS = {
    "soft_time_limit": RUN_LIMIT.total_seconds() - 60,
    "time_limit": RUN_LIMIT.total_seconds(),
    "acks_late": False,
}
# Deleting the expired packages: a listing of the directory and a read of their exports.
EXPIRE_LIMITS = {"soft_time_limit": 300, "time_limit": 360}
PACKAGE_NAME = re.compile(r"export-(\d+)\.zip")


@shared_task(**EXPORT_LIMITS)
def export_run(export_id: int) -> str:
    """Write the package of the export `export_id` (unless it has already finished); returns
    the export's status. A failure is recorded on the export (and raised)."""
    export = Export.objects.select_related("study", "requested_by").get(pk=export_id)
    if export.status != Export.Status.RUNNING:
        return export.status
    out = package_path(export)
    out.parent.mkdir(parents=True, exist_ok=True)
    with acting_as(export.requested_by):
        export = export_write(export=export, out=out, progress=ProgressRecorder(export))
    return export.status


@shared_task(**EXPIRE_LIMITS)
def exports_abandoned_record() -> int:
    """Record as failed the running exports whose worker is gone; returns how many."""
    failed = exports_abandoned_fail()
    if failed:
        logger.warning("Recorded %d abandoned exports as failed.", len(failed))
    return len(failed)


@shared_task(**EXPIRE_LIMITS)
def exports_expire() -> int:
    """Delete every package older than EXPORT_KEEP_DAYS (or of no export); returns how many."""
    root = Path(settings.EXPORT_ROOT)
    if not root.is_dir():
        return 0
    files = {
        int(match[1]): path
        for path in root.iterdir()
        if (match := PACKAGE_NAME.fullmatch(path.name))
    }
    exports = Export.objects.filter(pk__in=files).only("pk", "status", "finished_at")
    kept = {export.pk for export in exports if _kept(export)}
    deleted = 0
    for pk, path in files.items():
        if pk not in kept:
            path.unlink(missing_ok=True)
            deleted += 1
    logger.info("Deleted %d expired export packages.", deleted)
    return deleted


def _kept(export: Export) -> bool:
    if export.status == Export.Status.RUNNING:
        return True
    until = kept_until(export)
    return until is not None and timezone.now() < until

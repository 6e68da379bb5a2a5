"""Exports run by their task: one whose worker is gone is recorded as failed (its page says
why), two written at the same moment both complete, and the export page's queries do not grow
with the study's exports."""

import datetime
import threading
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from exports.models import Export, ExportProgress
from exports.package import package_problems
from exports.runs import (
    ABANDONED,
    ABANDONED_AFTER,
    NEVER_STARTED,
    NEVER_STARTED_AFTER,
    exports_abandoned_fail,
)
from exports.services import ExportOptions, export_start, export_write
from exports.signing import public_key_pem
from exports.tasks import exports_abandoned_record

pytestmark = pytest.mark.django_db


def _later() -> datetime.datetime:
    """A moment past the time an export started now may stand still."""
    return timezone.now() + ABANDONED_AFTER + datetime.timedelta(minutes=1)


def _running(sponsor, study, *, progress_at=None, started=True) -> Export:
    """A running export; its task started (unless not `started`), its progress last moved at
    `progress_at`."""
    export = export_start(actor=sponsor, study=study, options=ExportOptions())
    if progress_at is not None:
        ExportProgress.objects.create(export=export, rows={"participants": 3})
        ExportProgress.objects.filter(export=export).update(
            updated_at=progress_at, started_at=progress_at if started else None
        )
    return export


def test_an_export_whose_worker_is_gone_is_recorded_failed_and_says_why(
    client, sponsor, study, settings
):
    later = _later()
    stalled = _running(sponsor, study, progress_at=timezone.now())
    # Queued, waiting for a busy worker: left to run until a day has passed.
    queued = _running(sponsor, study, progress_at=timezone.now(), started=False)
    # Still writing: its progress moved a minute before.
    writing = _running(sponsor, study, progress_at=later - datetime.timedelta(minutes=1))
    assert exports_abandoned_record() == 0  # none has stood still long enough yet

    assert [export.pk for export in exports_abandoned_fail(now=later)] == [stalled.pk]
    a_day_later = timezone.now() + NEVER_STARTED_AFTER + datetime.timedelta(minutes=1)
    lost = exports_abandoned_fail(now=a_day_later)
    assert {export.pk: export.failure for export in lost} == {
        writing.pk: ABANDONED,  # by then it too has stood still
        queued.pk: NEVER_STARTED,
    }
    statuses = dict(Export.objects.values_list("pk", "status"))
    assert statuses == {
        stalled.pk: Export.Status.FAILED,
        queued.pk: Export.Status.FAILED,
        writing.pk: Export.Status.FAILED,
    }
    stalled.refresh_from_db()
    assert stalled.failure == ABANDONED and stalled.finished_at is not None
    assert exports_abandoned_fail(now=a_day_later) == []  # once
    beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert exports_abandoned_record.name in beat

    client.force_login(sponsor)
    state = client.get(reverse("exports:progress", args=[stalled.pk])).json()
    assert state["finished"] and state["failure"] == ABANDONED
    assert state["download_url"] == ""
    assert ABANDONED in client.get(reverse("exports:detail", args=[stalled.pk])).content.decode()


def test_the_options_line_ends_with_its_formats(client, sponsor, study):
    export = _running(sponsor, study)
    client.force_login(sponsor)
    detail = client.get(reverse("exports:detail", args=[export.pk])).content.decode()
    assert "new pseudonyms; CSV.</p>" in detail


@pytest.mark.django_db(transaction=True)
def test_two_exports_written_at_the_same_moment_both_complete(
    seeded, sponsor, study_admin, study, tmp_path
):
    exports = [
        export_start(actor=who, study=study, options=ExportOptions())
        for who in (sponsor, study_admin)
    ]
    together = threading.Barrier(len(exports))
    errors = []

    def write(export):
        try:
            together.wait(timeout=30)
            export_write(export=export, out=tmp_path / f"{export.pk}.zip")
        except Exception as error:  # reported below, with the thread's export
            errors.append((export.pk, error))
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(export,)) for export in exports]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    written = list(Export.objects.order_by("pk"))
    assert [export.status for export in written] == [Export.Status.DONE] * 2
    assert written[0].rows == written[1].rows and written[0].rows["participants"] == 3
    for export in written:
        with zipfile.ZipFile(tmp_path / f"{export.pk}.zip") as archive:
            assert package_problems(archive, public_key_pem()) == []


def test_the_export_page_reads_the_same_queries_for_one_export_or_many(client, sponsor, study):
    client.force_login(sponsor)

    def queries_of_page() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("exports:list")).status_code == 200
        return len(queries)

    _running(sponsor, study, progress_at=timezone.now())
    queries_of_page()  # the first request of a session also reads what later ones keep
    few = queries_of_page()
    for _ in range(6):
        _running(sponsor, study, progress_at=timezone.now())
    assert queries_of_page() == few

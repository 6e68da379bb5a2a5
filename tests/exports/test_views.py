"""The export page: started by the data manager, run by its task, followed on its progress
page, downloaded (audited) while kept; nobody else starts, follows or downloads one."""

import datetime
import io
import zipfile

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from exports.datasets import REGISTRY
from exports.models import Export, ExportDownload, ExportProgress
from exports.package import package_problems
from exports.runs import package_path
from exports.services import ExportOptions, export_study
from exports.signing import public_key_pem
from exports.tasks import exports_expire
from tests.accounts.factories import MembershipFactory, StudyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def export_root(settings, tmp_path):
    settings.EXPORT_ROOT = tmp_path / "exports"
    return settings.EXPORT_ROOT


def _start(client, django_capture_on_commit_callbacks, **data):
    page = client.get(reverse("exports:list"))
    form = {
        "datasets": list(REGISTRY),
        "dates": "shift",
        "formats": ["csv"],
        "submission_key": _key(page),
        **data,
    }
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("exports:list"), form)


def _key(response) -> str:
    body = response.content.decode()
    start = body.index('name="submission_key" value="') + len('name="submission_key" value="')
    return body[start : body.index('"', start)]


def test_data_manager_starts_an_export_and_downloads_its_signed_package(
    client, seeded, sponsor, django_capture_on_commit_callbacks
):
    client.force_login(sponsor)
    response = _start(client, django_capture_on_commit_callbacks, stable_pseudonyms="on")
    export = Export.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("exports:detail", args=[export.pk])
    assert export.status == Export.Status.DONE and export.options["stable_pseudonyms"]
    state = client.get(reverse("exports:progress", args=[export.pk])).json()
    assert state["finished"] and state["percent"] == 100
    assert state["download_url"] == reverse("exports:download", args=[export.pk])
    assert {row["dataset"]: row["rows"] for row in state["rows"]} == export.rows
    assert export.rows["participants"] == 3  # two enrolled, one screened
    assert export.progress.rows == export.rows  # the task's progress reached every dataset
    detail = client.get(reverse("exports:detail", args=[export.pk])).content.decode()
    assert "Download the ZIP" in detail and export.sha256 in detail

    download = client.get(state["download_url"])
    content = b"".join(download.streaming_content)
    assert download["Content-Disposition"].startswith("attachment;")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert package_problems(archive, public_key_pem()) == []
    (row,) = ExportDownload.objects.all()
    assert (row.export, row.downloaded_by) == (export, sponsor)
    listing = client.get(reverse("exports:list")).content.decode()
    assert export.sha256 in listing and state["download_url"] in listing


def test_a_refused_choice_is_shown_beside_its_field_and_starts_nothing(
    client, seeded, sponsor, django_capture_on_commit_callbacks
):
    client.force_login(sponsor)
    response = _start(client, django_capture_on_commit_callbacks, datasets=[], sites=["01"])
    assert response.status_code == 200
    assert response.context["form"].errors["datasets"] == ["Choose at least one dataset."]
    assert response.context["form"]["sites"].value() == ["01"]  # what was chosen is kept
    assert not Export.objects.exists()


def test_no_format_chosen_is_shown_beside_the_field_and_starts_nothing(
    client, seeded, sponsor, django_capture_on_commit_callbacks
):
    client.force_login(sponsor)
    response = _start(client, django_capture_on_commit_callbacks, formats=[], datasets=["visits"])
    assert response.status_code == 200
    assert response.context["form"].errors["formats"] == ["Choose at least one format."]
    assert response.context["form"]["datasets"].value() == ["visits"]
    assert "Choose at least one format." in response.content.decode()
    assert not Export.objects.exists()


def test_an_export_in_both_formats_shows_progress_per_csv_file_and_sdtm_domain(
    client, seeded, sponsor, django_capture_on_commit_callbacks
):
    client.force_login(sponsor)
    _start(
        client,
        django_capture_on_commit_callbacks,
        formats=["csv", "sdtm"],
        datasets=["participants", "vital_signs"],
    )
    export = Export.objects.get()
    assert export.status == Export.Status.DONE
    state = client.get(reverse("exports:progress", args=[export.pk])).json()
    assert [row["dataset"] for row in state["rows"]] == [
        "participants",
        "vital_signs",
        "DM",
        "VS",
        "DS",
    ]
    assert {row["dataset"]: row["rows"] for row in state["rows"]}["VS"] == 12
    assert state["datasets"] == 5 and state["percent"] == 100
    assert export.progress.rows == export.rows
    detail = client.get(reverse("exports:detail", args=[export.pk])).content.decode()
    assert 'data-export-rows="VS"' in detail


def test_progress_shows_rows_per_dataset_while_running(client, sponsor, study):
    client.force_login(sponsor)
    export = Export.objects.create(
        study=study, requested_by=sponsor, options=ExportOptions().as_json()
    )
    ExportProgress.objects.create(export=export, rows={"participants": 10, "visits": 4000})
    state = client.get(reverse("exports:progress", args=[export.pk])).json()
    assert not state["finished"] and state["download_url"] == ""
    assert state["written"] == 1 and state["datasets"] == len(REGISTRY)
    assert state["rows"][:2] == [
        {"dataset": "participants", "rows": 10},
        {"dataset": "visits", "rows": 4000},
    ]
    assert client.get(reverse("exports:download", args=[export.pk])).status_code == 404


def _written(sponsor, study, export_root) -> Export:
    export_root.mkdir(parents=True, exist_ok=True)
    out = export_root / "written.zip"
    export = export_study(actor=sponsor, study=study, options=ExportOptions(), out=out)
    out.rename(package_path(export))
    return export


def test_others_cannot_open_start_or_download_an_export(
    client, seeded, sponsor, study, therapist, monitor, export_root
):
    export = _written(sponsor, study, export_root)
    pages = [
        reverse("exports:list"),
        *(reverse(f"exports:{n}", args=[export.pk]) for n in ("detail", "progress", "download")),
    ]
    for user in (therapist, monitor):
        client.force_login(user)
        assert [client.get(url).status_code for url in pages] == [403] * 4, user
        assert client.post(pages[0], {"datasets": ["visits"]}).status_code == 403
    other = MembershipFactory(role=Role.DATA_MANAGER, site=None, study=StudyFactory()).user
    client.force_login(other)
    assert client.get(pages[0]).status_code == 200
    assert [client.get(url).status_code for url in pages[1:]] == [404] * 3
    assert not ExportDownload.objects.exists()


def test_an_expired_package_is_refused_and_deleted(
    client, seeded, sponsor, study, export_root, settings
):
    export = _written(sponsor, study, export_root)
    kept = _written(sponsor, study, export_root)
    export.finished_at = timezone.now() - datetime.timedelta(days=settings.EXPORT_KEEP_DAYS + 1)
    export.save()
    client.force_login(sponsor)
    response = client.get(reverse("exports:download", args=[export.pk]))
    assert response.status_code == 410
    assert "no longer kept" in response.content.decode()
    assert not ExportDownload.objects.exists()
    assert exports_expire() == 1
    assert not package_path(export).exists() and package_path(kept).exists()
    assert client.get(reverse("exports:download", args=[kept.pk])).status_code == 200


def test_two_exports_started_at_once_both_complete(
    client, seeded, sponsor, study_admin, django_capture_on_commit_callbacks
):
    second = Client()
    client.force_login(sponsor)
    second.force_login(study_admin)
    with django_capture_on_commit_callbacks(execute=True):
        first_key, second_key = (
            _key(client.get(reverse("exports:list"))),
            _key(second.get(reverse("exports:list"))),
        )
        for who, key in ((client, first_key), (second, second_key)):
            who.post(
                reverse("exports:list"),
                {
                    "datasets": ["participants", "visits"],
                    "dates": "study-day",
                    "formats": ["csv"],
                    "submission_key": key,
                },
            )
    exports = list(Export.objects.order_by("pk"))
    assert [e.status for e in exports] == [Export.Status.DONE] * 2
    assert [e.requested_by for e in exports] == [sponsor, study_admin]
    assert all(package_path(e).is_file() for e in exports)
    assert len({e.sha256 for e in exports}) == 2


def test_a_choice_sent_twice_is_exported_once(
    client, seeded, sponsor, django_capture_on_commit_callbacks
):
    client.force_login(sponsor)
    _start(
        client,
        django_capture_on_commit_callbacks,
        datasets=["visits", "visits"],
        formats=["csv", "csv"],
        sites=["01", "01"],
    )
    export = Export.objects.get()
    assert export.options["datasets"] == ["visits"] and export.options["formats"] == ["csv"]
    assert export.options["sites"] == ["01"]
    assert [item["name"] for item in export.manifest["files"]].count("visits.csv") == 1

"""The data manager exports every dataset in both formats from the page, watches it finish,
downloads the ZIP: its manifest's signature verifies and the VS transport file reads back."""

import csv
import io
import zipfile

import pyreadstat
import pytest

from exports.datasets import REGISTRY
from exports.models import Export
from exports.package import package_problems
from exports.sdtm import DOMAINS
from exports.signing import public_key_pem
from tests.exports.conftest import seeded, staff2  # noqa: F401 - fixtures

pytestmark = pytest.mark.e2e


def test_sponsor_exports_everything_and_downloads_a_signed_package(
    page,
    log_in,
    seeded,  # noqa: F811
    sponsor,
    settings,
    tmp_path,
):
    settings.EXPORT_ROOT = tmp_path / "exports"
    log_in("sponsor")
    page.get_by_test_id("nav-exports").click()
    form = page.get_by_test_id("form-export")
    assert all(box.is_checked() for box in form.locator("input[name=datasets]").all())
    for box in form.locator("input[name=formats]").all():
        box.check()
    form.get_by_role("button", name="Start the export").click()
    page.get_by_test_id("export-progress").wait_for()
    download_link = page.get_by_test_id("export-download")
    download_link.wait_for(state="visible")
    assert page.get_by_test_id("export-progress").get_attribute("aria-valuenow") == "100"
    assert page.get_by_test_id("export-state").inner_text().startswith("Done")
    with page.expect_download() as info:
        download_link.click()
    path = tmp_path / "downloaded.zip"
    info.value.save_as(path)
    with zipfile.ZipFile(path) as archive:
        assert package_problems(archive, public_key_pem()) == []
        names = set(archive.namelist())
        assert {f"{name}.csv" for name in REGISTRY} <= names
        assert {f"sdtm/{domain.file_name}" for domain in DOMAINS.values()} <= names
        assert {"sdtm/define.xml", "data_dictionary.html"} <= names
        (tmp_path / "vs.xpt").write_bytes(archive.read("sdtm/vs.xpt"))
        readings = list(csv.DictReader(io.StringIO(archive.read("vital_signs.csv").decode())))
    data, meta = pyreadstat.read_xport(str(tmp_path / "vs.xpt"), output_format="dict")
    # A record per vital sign measured in each reading of the CSV (SUDS is not one).
    measured = [
        (row["participant"], name.upper())
        for row in readings
        for name in ("systolic", "diastolic", "pulse", "temperature")
        if row[name]
    ]
    assert len(data["VSSEQ"]) == len(measured) > 0
    assert set(data["VSTESTCD"]) == {"SYSBP", "DIABP", "PULSE"}
    assert meta.column_names_to_labels["VSELTM"] == "Planned Elapsed Time from Time Point Ref"


def test_the_same_export_started_again_from_the_page_opened_anew_is_a_new_export(
    page,
    log_in,
    seeded,  # noqa: F811
    sponsor,
    settings,
    tmp_path,
):
    """Only Back to a form already sent makes it the same submission: the export page opened
    again (the menu, as a data manager does each week) starts a new export with the same options."""
    settings.EXPORT_ROOT = tmp_path / "exports"
    log_in("sponsor")
    for _ in range(2):
        page.goto("/exports/")
        page.get_by_test_id("form-export").get_by_role("button", name="Start the export").click()
        page.get_by_test_id("export-download").wait_for(state="visible")
    assert Export.objects.count() == 2
    assert len({export.sha256 for export in Export.objects.all()}) == 2

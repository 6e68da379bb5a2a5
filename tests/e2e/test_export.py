"""The data manager exports every dataset from the page, watches it finish, downloads the ZIP,
and its manifest's signature verifies."""

import zipfile

import pytest

from exports.datasets import REGISTRY
from exports.package import package_problems
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
        assert {f"{name}.csv" for name in REGISTRY} <= set(archive.namelist())

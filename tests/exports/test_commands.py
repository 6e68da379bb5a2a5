"""`manage.py export_study`: only the study's data managers and administrators; audited."""

import hashlib
import io
import zipfile

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Role
from audit.models import LogEntry
from exports.models import Export
from exports.package import package_problems
from tests.accounts.factories import MembershipFactory, StudyFactory, UserFactory
from tests.sessions_app.factories import monitor_of

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = io.StringIO()
    call_command("export_study", *args, stdout=out)
    return out.getvalue()


def test_the_data_manager_exports_and_the_command_prints_what_it_wrote(
    tmp_path, seeded, sponsor, study
):
    path = tmp_path / "study.zip"
    printed = _run("--study", study.code, "--out", str(path), "--as", "sponsor")
    export = Export.objects.get()
    assert export.status == Export.Status.DONE and export.requested_by == sponsor
    assert str(path) in printed and export.sha256 in printed
    assert f"vital_signs: {export.rows['vital_signs']} rows" in printed
    assert export.rows["vital_signs"] == 4  # a pre-dose reading each, two more of participant1
    with zipfile.ZipFile(path) as archive:
        manifest_hash = hashlib.sha256(archive.read("manifest.json")).hexdigest()
        assert f"manifest.json SHA-256: {manifest_hash}" in printed
        assert package_problems(archive, _public_key()) == []
    assert LogEntry.objects.get_for_object(export).filter(actor=sponsor).exists()


def _public_key() -> str:
    out = io.StringIO()
    call_command("export_public_key", stdout=out)
    assert out.getvalue().startswith("-----BEGIN PUBLIC KEY-----")
    return out.getvalue()


def test_the_study_administrator_exports_some_sites_in_study_days(
    tmp_path, seeded, study_admin, study, site2
):
    _run(
        "--study",
        study.code,
        "--out",
        str(tmp_path / "s.zip"),
        "--as",
        "admin",
        "--sites",
        site2.number,
        "--dates",
        "study-day",
        "--stable-pseudonyms",
    )
    export = Export.objects.get()
    assert export.options["sites"] == [site2.number]
    assert export.options["dates"] == "study-day" and export.options["stable_pseudonyms"]
    assert export.rows["participants"] == 1


def _refused_for(user, study, tmp_path):
    with pytest.raises(CommandError, match="Only the study's data managers and administrators"):
        _run("--study", study.code, "--out", str(tmp_path / "x.zip"), "--as", user.username)
    assert not Export.objects.exists()
    assert not (tmp_path / "x.zip").exists()


def test_a_therapist_cannot_export(tmp_path, study, therapist):
    _refused_for(therapist, study, tmp_path)


def test_a_monitor_cannot_export(tmp_path, study):
    _refused_for(monitor_of("monitor2", study), study, tmp_path)


def test_another_studys_data_manager_cannot_export(tmp_path, study):
    other = UserFactory(username="othersponsor")
    MembershipFactory(
        user=other, role=Role.DATA_MANAGER, site=None, study=StudyFactory(code="OTHER")
    )
    _refused_for(other, study, tmp_path)


def test_a_deactivated_data_manager_cannot_export(tmp_path, study, sponsor):
    membership = sponsor.memberships.get()
    membership.is_active = False
    membership.save()
    _refused_for(sponsor, study, tmp_path)


def test_an_unknown_site_is_refused_with_its_number(tmp_path, study, sponsor):
    with pytest.raises(CommandError, match="The study has no site 42"):
        _run(
            "--study",
            study.code,
            "--out",
            str(tmp_path / "x.zip"),
            "--as",
            "sponsor",
            "--sites",
            "42",
        )


def test_the_command_writes_csv_and_sdtm_with_format_csv_sdtm(tmp_path, seeded, sponsor, study):
    path = tmp_path / "both.zip"
    printed = _run(
        "--study", study.code, "--out", str(path), "--as", "sponsor", "--format", "csv,sdtm"
    )
    export = Export.objects.get()
    assert export.options["formats"] == ["csv", "sdtm"]
    assert "VS: 12 rows" in printed and "vital_signs: 4 rows" in printed
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        assert {"vital_signs.csv", "sdtm/vs.xpt", "sdtm/dm.xpt", "sdtm/ds.xpt"} <= names
        assert package_problems(archive, _public_key()) == []


def test_an_unknown_format_is_refused_with_the_formats(tmp_path, study, sponsor):
    with pytest.raises(CommandError, match=r"No such format: xml \(formats: csv, sdtm\)"):
        _run(
            "--study",
            study.code,
            "--out",
            str(tmp_path / "x.zip"),
            "--as",
            "sponsor",
            "--format",
            "xml",
        )

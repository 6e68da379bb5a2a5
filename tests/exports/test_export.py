"""An export of everything: free of identity and free text, dates shifted consistently or given
as study days, pseudonyms stable or new, the manifest signed, rows streamed."""

import csv
import datetime
import hashlib
import inspect
import io
import json
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import LogEntry
from exports.datasets import REGISTRY, ExportContext
from exports.deidentify import DateMode, Deidentifier
from exports.models import Export
from exports.package import package_problems
from exports.sdtm import DOMAINS
from exports.services import ExportOptions, export_study
from exports.signing import public_key_pem
from participants.models import Casebook, ParticipantIdentity
from sessions_app.models import DoseAdministration, Visit, VitalSignReading
from tests.exports.conftest import FREE_TEXT, VERBATIM, identity_values, read_zip
from tests.safety.factories import submitted
from tests.screening.factories import screened_attempt
from tests.sessions_app.factories import reading_record

pytestmark = pytest.mark.django_db


def _export(tmp_path, sponsor, study, name="export.zip", **options) -> tuple[Export, dict]:
    out = tmp_path / name
    export = export_study(actor=sponsor, study=study, options=ExportOptions(**options), out=out)
    return export, read_zip(out)


def _rows(files: dict, dataset: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(files[f"{dataset}.csv"].decode())))


def test_no_identity_value_or_free_text_is_in_any_file(tmp_path, seeded, sponsor, study):
    export, files = _export(tmp_path, sponsor, study, formats=("csv", "sdtm"))
    assert export.status == Export.Status.DONE
    written = {f"{name}.csv" for name in REGISTRY} | {
        f"sdtm/{d.file_name}" for d in DOMAINS.values()
    }
    documents = {"sdtm/define.xml", "data_dictionary.html"}
    assert set(files) == written | documents | {"manifest.json", "manifest.sig"}
    searched = [value for i in ParticipantIdentity.objects.all() for value in identity_values(i)]
    searched += list(FREE_TEXT.values())
    assert "Alice" in searched and "Quixotewood" in searched  # the screened candidate's too
    hits = [
        (name, value)
        for name, content in files.items()
        for value in searched
        if value.lower().encode() in content.lower()
    ]
    assert hits == []


def test_the_verbatim_term_is_kept_without_the_identity(tmp_path, seeded, sponsor, study):
    _, files = _export(tmp_path, sponsor, study)
    (event,) = _rows(files, "adverse_events")
    assert VERBATIM.startswith("Nausea; ")
    assert event["verbatim_term"].startswith("Nausea; ")
    assert "[redacted]" in event["verbatim_term"]
    assert "description" not in event and "treatment" not in event
    assert event["serious_death"] == "False" and event["severity_grade"] == "2"


def test_dates_move_back_by_one_shift_per_participant_in_every_file(
    tmp_path, seeded, sponsor, study
):
    _, files = _export(tmp_path, sponsor, study, stable_pseudonyms=True)
    deidentifier = Deidentifier(study_code=study.code, stable=True, nonce="")
    for participant in (seeded["participant1"], seeded["participant2"]):
        pseudonym = deidentifier.pseudonym(participant.pk)
        shifts = set()
        (row,) = [r for r in _rows(files, "participants") if r["participant"] == pseudonym]
        shifts.add((participant.enrolled_on - datetime.date.fromisoformat(row["enrolled_on"])).days)
        visits = {v.code: v for v in Visit.objects.filter(participant=participant)}
        for row in (r for r in _rows(files, "visits") if r["participant"] == pseudonym):
            exported = datetime.date.fromisoformat(row["target_date"])
            shifts.add((visits[row["visit"]].target_date - exported).days)
        (dose,) = DoseAdministration.objects.filter(session__visit__participant=participant)
        (row,) = [r for r in _rows(files, "doses") if r["participant"] == pseudonym]
        exported = datetime.datetime.fromisoformat(row["administered_at"])
        local = dose.administered_at.astimezone(participant.site.zoneinfo).replace(tzinfo=None)
        assert (local - exported).seconds // 60 == 0
        shifts.add((local - exported).days)
        assert row["minutes_after_initial_dose"] == "0"
        assert len(shifts) == 1, participant
        assert 1 <= shifts.pop() <= 364


def test_study_days_have_no_day_zero(tmp_path, seeded, sponsor, study):
    _, files = _export(tmp_path, sponsor, study, dates=DateMode.STUDY_DAY)
    days = [
        int(value)
        for name in REGISTRY
        for row in _rows(files, name)
        for column, value in row.items()
        if column.endswith("_study_day") and value
    ]
    assert days and 0 not in days
    assert {row["administered_at_study_day"] for row in _rows(files, "doses")} == {"1"}
    # The visits scheduled before the first dose fall on negative days.
    assert min(days) < 0
    readings = _rows(files, "vital_signs")
    assert "measured_at" not in readings[0]
    assert sorted(int(r["minutes_after_initial_dose"]) for r in readings)[:1] == [-5]


def test_stable_pseudonyms_are_equal_across_exports_and_new_ones_differ(
    tmp_path, seeded, sponsor, study
):
    def pseudonyms(name, **options):
        _, files = _export(tmp_path, sponsor, study, name=name, **options)
        return sorted(row["participant"] for row in _rows(files, "participants"))

    stable = pseudonyms("a.zip", stable_pseudonyms=True)
    assert pseudonyms("b.zip", stable_pseudonyms=True) == stable
    new = pseudonyms("c.zip")
    assert len(new) == len(stable) == 3
    assert set(new).isdisjoint(stable)
    assert set(new).isdisjoint(pseudonyms("d.zip"))


def test_ages_over_89_are_90_and_a_locked_casebook_is_clean(tmp_path, seeded, sponsor, study):
    Casebook.objects.create(
        participant=seeded["participant2"],
        state=Casebook.State.LOCKED,
        locked_at=datetime.datetime(2026, 7, 1, tzinfo=datetime.UTC),
    )
    _, files = _export(tmp_path, sponsor, study, stable_pseudonyms=True)
    (aged,) = [row for row in _rows(files, "screening") if row["age_over_89"] == "True"]
    assert aged["age_at_screening"] == "90"
    deidentifier = Deidentifier(study_code=study.code, stable=True, nonce="")
    clean = {row["participant"]: row["clean"] for row in _rows(files, "participants")}
    assert clean[deidentifier.pseudonym(seeded["participant2"].pk)] == "True"
    assert clean[deidentifier.pseudonym(seeded["participant1"].pk)] == "False"


def test_the_country_leaves_as_its_code_and_nothing_below_it(tmp_path, seeded, sponsor, study):
    identity = ParticipantIdentity.objects.get(participant=seeded["participant2"])
    identity.country = "Leeds, West Yorkshire"
    identity.save()
    _, files = _export(tmp_path, sponsor, study, stable_pseudonyms=True)
    deidentifier = Deidentifier(study_code=study.code, stable=True, nonce="")
    country = {row["participant"]: row["country"] for row in _rows(files, "participants")}
    assert country[deidentifier.pseudonym(seeded["participant1"].pk)] == "GBR"
    assert country[deidentifier.pseudonym(seeded["participant2"].pk)] == ""
    assert [name for name, content in files.items() if b"Leeds" in content] == []


def test_only_the_sites_asked_for_are_exported(tmp_path, seeded, sponsor, study, site2):
    _, files = _export(tmp_path, sponsor, study, sites=(site2.number,))
    assert {row["site"] for row in _rows(files, "participants")} == {site2.number}
    readings = VitalSignReading.objects.filter(session__visit__participant__site=site2)
    assert len(_rows(files, "vital_signs")) == readings.count()


def test_the_manifest_lists_every_file_and_its_signature_verifies(tmp_path, seeded, sponsor, study):
    export, files = _export(tmp_path, sponsor, study)
    manifest = json.loads(files["manifest.json"])
    assert manifest["requested_by"] == "sponsor"
    assert manifest["options"]["dates"] == "shift"
    assert manifest["software"]["name"] == "trialsite" and manifest["software"]["version"]
    for listed in manifest["files"]:
        content = files[listed["name"]]
        assert hashlib.sha256(content).hexdigest() == listed["sha256"]
        if listed["format"] == "csv":
            assert listed["rows"] == len(_rows(files, listed["dataset"]))
    assert {item["name"] for item in manifest["files"] if item["format"] == "document"} == {
        "data_dictionary.html"
    }
    export.refresh_from_db()
    assert export.manifest == manifest
    assert export.rows == {
        item["dataset"]: item["rows"] for item in manifest["files"] if item["format"] == "csv"
    }
    assert export.sha256 == hashlib.sha256((tmp_path / "export.zip").read_bytes()).hexdigest()
    with zipfile.ZipFile(tmp_path / "export.zip") as archive:
        assert package_problems(archive, public_key_pem()) == []


def _repacked(files: dict, name: str, change) -> zipfile.ZipFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for entry, content in files.items():
            archive.writestr(entry, change(content) if entry == name else content)
    return zipfile.ZipFile(buffer)


def _one_byte_changed(content: bytes) -> bytes:
    return content[:-2] + bytes([content[-2] ^ 1]) + content[-1:]


def test_one_byte_changed_in_a_file_is_found(tmp_path, seeded, sponsor, study):
    _, files = _export(tmp_path, sponsor, study)
    archive = _repacked(files, "vital_signs.csv", _one_byte_changed)
    assert package_problems(archive, public_key_pem()) == [
        "vital_signs.csv: its SHA-256 differs from the manifest's"
    ]


def test_one_byte_changed_in_the_manifest_fails_its_signature(tmp_path, seeded, sponsor, study):
    _, files = _export(tmp_path, sponsor, study)
    archive = _repacked(files, "manifest.json", _one_byte_changed)
    assert package_problems(archive, public_key_pem()) == [
        "manifest.json: the signature does not verify"
    ]


def test_the_signature_verifies_only_with_the_servers_key(
    tmp_path, seeded, sponsor, study, settings
):
    _export(tmp_path, sponsor, study)
    settings.EXPORT_SIGNING_KEY = "b3RoZXItc2VydmVyLWV4cG9ydC1zaWduaW5nLWtleSE="
    with zipfile.ZipFile(tmp_path / "export.zip") as archive:
        assert package_problems(archive, public_key_pem()) == [
            "manifest.json: the signature does not verify"
        ]


def test_each_export_is_a_record_of_its_own_in_the_audit_trail(tmp_path, seeded, sponsor, study):
    export, _ = _export(tmp_path, sponsor, study)
    entries = LogEntry.objects.get_for_object(export).order_by("seq")
    assert [entry.action for entry in entries] == [LogEntry.Action.CREATE, LogEntry.Action.UPDATE]
    assert {entry.actor for entry in entries} == {sponsor}
    assert "done" in json.dumps(entries.last().changes)


def test_every_dataset_streams_its_rows(seeded, study):
    ctx = ExportContext(
        study=study, deidentifier=Deidentifier(study_code=study.code, stable=False, nonce="n")
    )
    for dataset in REGISTRY.values():
        rows = dataset.rows(ctx)
        assert inspect.isgenerator(rows), dataset.name
        first = next(rows, None)
        assert first is None or list(first) == dataset.header(ctx.dates)


def _queries_to_read(dataset: str, ctx: ExportContext) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert list(REGISTRY[dataset].rows(ctx))
    return len(queries)


@pytest.mark.parametrize("dataset", ["vital_signs", "adverse_events", "participants"])
def test_reading_a_dataset_takes_as_many_queries_whatever_its_rows(
    seeded, study, therapist, dataset
):
    def ctx():
        deidentifier = Deidentifier(study_code=study.code, stable=False, nonce="n")
        return ExportContext(study=study, deidentifier=deidentifier, dates=DateMode.STUDY_DAY)

    before = _queries_to_read(dataset, ctx())
    session = seeded["session"]
    for minutes in range(135, 175, 8):
        at = session.started_at + datetime.timedelta(minutes=minutes)
        reading_record(session, therapist, at, pulse=80)
    submitted(therapist, seeded["investigator"], seeded["participant1"], dosing_session=session)
    submitted(seeded["therapist2"], seeded["staff2"], seeded["participant2"])
    screened_attempt(actor=therapist, site=seeded["participant1"].site)
    assert _queries_to_read(dataset, ctx()) == before

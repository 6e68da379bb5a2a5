"""The SDTM domains of an export: each one's SAS transport file reads back with its variables,
required values, ISO 8601 dates, no day 0, --SEQ unique per subject, and the same pseudonyms and
date shifts as the CSV files of the same export."""

import csv
import io
import re
from collections import Counter

import pyreadstat
import pytest

from exports.datasets import REGISTRY
from exports.deidentify import DateMode
from exports.metadata import Core, Type
from exports.models import Export
from exports.sdtm import (
    DOMAINS,
    ascii_text,
    country_code,
    domains_for,
    iso_duration,
    time_point,
)
from exports.services import ExportOptions, export_study
from exports.xpt import XptError, domain_problems
from safety.models import AdverseEvent
from tests.exports.conftest import read_zip
from tests.safety.factories import submitted

pytestmark = pytest.mark.django_db

ISO_8601 = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?$")
# Required, but the app has no value for it (exports.sdtm says why).
NOT_HELD = {"AEDECOD", "COUNTRY"}


def _export(tmp_path, sponsor, study, name="both.zip", **options):
    options = {"formats": ("csv", "sdtm"), "stable_pseudonyms": True, **options}
    out = tmp_path / name
    export = export_study(actor=sponsor, study=study, options=ExportOptions(**options), out=out)
    return export, read_zip(out)


def _xpt(tmp_path, files, domain: str) -> tuple[list[dict], object]:
    path = tmp_path / f"{domain}.xpt"
    path.write_bytes(files[f"sdtm/{domain.lower()}.xpt"])
    data, meta = pyreadstat.read_xport(str(path), output_format="dict")
    rows = [dict(zip(data, values, strict=True)) for values in zip(*data.values(), strict=True)]
    return rows, meta


def _csv(files, dataset):
    return list(csv.DictReader(io.StringIO(files[f"{dataset}.csv"].decode())))


def _empty(value) -> bool:
    return value is None or value == "" or value != value  # NaN: a missing number


@pytest.mark.parametrize("name", list(DOMAINS))
def test_every_domain_is_one_transport_v5_can_hold(name):
    assert domain_problems(DOMAINS[name]) == []


def test_every_domain_is_written_with_its_variables_and_required_values(
    tmp_path, seeded, sponsor, study
):
    export, files = _export(tmp_path, sponsor, study)
    assert {name for name in files if name.startswith("sdtm/")} == {
        f"sdtm/{name.lower()}.xpt" for name in DOMAINS
    } | {"sdtm/define.xml"}
    listed = {item["name"]: item for item in export.manifest["files"]}
    for name, domain in DOMAINS.items():
        rows, meta = _xpt(tmp_path, files, name)
        assert meta.table_name == name and meta.file_label == domain.label
        assert meta.column_names == [v.name for v in domain.variables]
        assert meta.column_labels == [v.label for v in domain.variables]
        types = {v.name: "double" if v.type == Type.NUM else "string" for v in domain.variables}
        assert meta.readstat_variable_types == types
        entry = listed[f"sdtm/{domain.file_name}"]
        assert entry["rows"] == len(rows) and entry["format"] == "sdtm"
        assert export.rows[name] == len(rows)
        for row in rows:
            assert row["STUDYID"] == study.code and row["DOMAIN"] == name
            for variable in domain.variables:
                if variable.core == Core.REQ and variable.name not in NOT_HELD:
                    assert not _empty(row[variable.name]), (name, variable.name, row)
                if variable.codelist and not _empty(row[variable.name]):
                    terms = {term.value for term in variable.codelist.terms}
                    assert row[variable.name] in terms, (name, variable.name)
    assert len(_xpt(tmp_path, files, "DM")[0]) == 3
    assert len(_xpt(tmp_path, files, "VS")[0]) == 4 * 3  # a reading: SYSBP, DIABP, PULSE


def test_dates_are_iso_8601_there_is_no_day_0_and_seq_is_unique_per_subject(
    tmp_path, seeded, sponsor, study
):
    _, files = _export(tmp_path, sponsor, study)
    dated = 0
    for name in DOMAINS:
        rows, _ = _xpt(tmp_path, files, name)
        for row in rows:
            for variable, value in row.items():
                if variable.endswith("DTC") and value:
                    assert ISO_8601.match(value), (name, variable, value)
                    dated += 1
                if variable.endswith("DY") and not _empty(value):
                    assert value != 0, (name, variable)
        sequence = f"{name}SEQ"
        if sequence in row:
            seqs = Counter((row["USUBJID"], row[sequence]) for row in rows)
            assert all(count == 1 for count in seqs.values()), name
    assert dated


def test_pseudonyms_and_date_shifts_are_those_of_the_csv_files(tmp_path, seeded, sponsor, study):
    _, files = _export(tmp_path, sponsor, study)
    dm, _ = _xpt(tmp_path, files, "DM")
    assert {row["SUBJID"] for row in dm} == {
        row["participant"] for row in _csv(files, "participants")
    }
    assert {row["USUBJID"] for row in dm} == {f"{study.code}-{row['SUBJID']}" for row in dm}
    vs, _ = _xpt(tmp_path, files, "VS")
    readings = {
        (r["participant"], r["measured_at"], r["minutes_after_initial_dose"])
        for r in _csv(files, "vital_signs")
    }
    assert {
        (r["USUBJID"].rpartition("-")[2], r["VSDTC"], str(int(r["VSTPTNUM"]))) for r in vs
    } == readings
    ex, _ = _xpt(tmp_path, files, "EX")
    doses = {(r["participant"], r["administered_at"]) for r in _csv(files, "doses")}
    assert {(r["USUBJID"].rpartition("-")[2], r["EXSTDTC"]) for r in ex} == doses
    first_dose = {row["SUBJID"]: row["RFSTDTC"] for row in dm}
    for row in ex:
        assert first_dose[row["USUBJID"].rpartition("-")[2]] <= row["EXSTDTC"]
        assert row["EXSTDY"] == 1
    (event,) = _xpt(tmp_path, files, "AE")[0]
    (csv_event,) = _csv(files, "adverse_events")
    assert event["AETERM"] == csv_event["verbatim_term"] and "[redacted]" in event["AETERM"]
    assert event["AESTDTC"] == csv_event["onset_at"] and event["AESTDY"] == 1
    assert event["AESER"] == "N" and event["AETOXGR"] == csv_event["severity_grade"]


def test_vs_times_from_the_initial_dose_are_iso_8601_durations(tmp_path, seeded, sponsor, study):
    _, files = _export(tmp_path, sponsor, study)
    vs, _ = _xpt(tmp_path, files, "VS")
    assert {row["VSTESTCD"] for row in vs} == {"SYSBP", "DIABP", "PULSE"}
    by_minutes = {int(row["VSTPTNUM"]): row for row in vs}
    assert by_minutes[-5]["VSELTM"] == "-PT5M"
    assert by_minutes[-5]["VSTPT"] == "5M BEFORE INITIAL DOSE"
    eltm = {row["VSELTM"] for row in vs}
    assert {"-PT5M"} < eltm and all(re.fullmatch(r"-?PT(\d+H)?(\d+M)?", e) for e in eltm)
    assert {row["VSTPTREF"] for row in vs} == {"INITIAL DOSE"}
    assert {row["VSORRESU"] for row in vs} <= {"mmHg", "beats/min"}
    systolic = [row for row in vs if row["VSTESTCD"] == "SYSBP"]
    assert sorted(row["VSSTRESN"] for row in systolic)[-1] == 171
    assert all(row["VSORRES"] == f"{row['VSSTRESN']:g}" for row in systolic)


def test_in_study_day_mode_dates_are_empty_and_study_days_remain(tmp_path, seeded, sponsor, study):
    _, files = _export(tmp_path, sponsor, study, dates=DateMode.STUDY_DAY)
    for name in DOMAINS:
        rows, _ = _xpt(tmp_path, files, name)
        assert all(not value for row in rows for v, value in row.items() if v.endswith("DTC"))
    ex, _ = _xpt(tmp_path, files, "EX")
    assert {row["EXSTDY"] for row in ex} == {1}
    sv, _ = _xpt(tmp_path, files, "SV")
    visits = {
        (r["participant"], r["visit"], r["held_on_study_day"])
        for r in _csv(files, "visits")
        if r["held_on_study_day"]
    }
    assert {(r["USUBJID"].rpartition("-")[2], r["SVSTDY"]) for r in sv} == {
        (who, int(day)) for who, _, day in visits
    }


def test_disposition_and_arms_follow_the_participants_status(
    tmp_path, seeded, sponsor, study, therapist
):
    from participants.models import Participant

    participant2 = seeded["participant2"]
    participant2.status = Participant.Status.WITHDRAWN
    participant2.withdrawn_on = participant2.enrolled_on
    participant2.withdrawal_category = Participant.WithdrawalCategory.LOST_TO_FOLLOW_UP
    participant2.save()
    _, files = _export(tmp_path, sponsor, study)
    ds, _ = _xpt(tmp_path, files, "DS")
    assert sorted(row["DSDECOD"] for row in ds) == ["LOST TO FOLLOW-UP"]
    dm, _ = _xpt(tmp_path, files, "DM")
    arms = Counter((row["ARMCD"], row["ACTARMCD"], row["ARMNRS"]) for row in dm)
    assert arms == {("BLINDED", "BLINDED", ""): 2, ("", "", "NOT ASSIGNED"): 1}


def test_only_the_domains_of_the_chosen_datasets_are_written_with_dm():
    assert domains_for(["vital_signs"]) == ["DM", "VS"]
    assert domains_for(["participants"]) == ["DM", "DS"]
    assert domains_for(["alerts", "screening"]) == []
    assert domains_for(list(REGISTRY)) == list(DOMAINS)


def test_sdtm_alone_writes_no_csv(tmp_path, seeded, sponsor, study):
    export, files = _export(tmp_path, sponsor, study, formats=("sdtm",), datasets=("doses",))
    assert set(files) == {
        "sdtm/dm.xpt",
        "sdtm/ex.xpt",
        "sdtm/define.xml",
        "data_dictionary.html",
        "manifest.json",
        "manifest.sig",
    }
    assert set(export.rows) == {"DM", "EX"}


def test_a_verbatim_term_outside_ascii_is_transliterated(
    tmp_path, seeded, sponsor, study, therapist, investigator
):
    submitted(therapist, investigator, seeded["participant1"], verbatim_term="Nausée – légère")
    _, files = _export(tmp_path, sponsor, study)
    terms = {row["AETERM"] for row in _xpt(tmp_path, files, "AE")[0]}
    assert "Nausee ? legere" in terms
    assert AdverseEvent.objects.filter(verbatim_term="Nausée – légère").exists()


def test_a_term_too_long_once_scrubbed_stops_the_export_and_says_where(
    tmp_path, seeded, sponsor, study, therapist, investigator
):
    """200 characters as typed, longer once each name is "[redacted]": never cut, the export
    stops, its record says which variable of which row (not the value), and no file is left."""
    term = ("Alice " * 33).strip()
    assert len(term) <= 200
    submitted(therapist, investigator, seeded["participant1"], verbatim_term=term)
    out = tmp_path / "too-long.zip"
    with pytest.raises(XptError, match=r"AE\.AETERM, row \d+: \d+ bytes, more than its 200"):
        export_study(actor=sponsor, study=study, options=ExportOptions(formats=("sdtm",)), out=out)
    export = Export.objects.get()
    assert export.status == Export.Status.FAILED and "AE.AETERM" in export.failure
    assert "Alice" not in export.failure
    assert not out.exists()


def test_values_helpers():
    assert [iso_duration(m) for m in (0, 15, 60, 90, -15, -75, None)] == [
        "PT0M",
        "PT15M",
        "PT1H",
        "PT1H30M",
        "-PT15M",
        "-PT1H15M",
        "",
    ]
    assert time_point(90) == "1H30M AFTER INITIAL DOSE" and time_point(0) == "AT INITIAL DOSE"
    assert ascii_text("Müller") == "Muller"
    assert country_code("United Kingdom") == "GBR" and country_code("Atlantis") == ""


def test_the_monitors_coding_gives_aedecod_and_aellt_without_the_identity(
    tmp_path, seeded, sponsor, study
):
    _, files = _export(tmp_path, sponsor, study)
    (event,) = _xpt(tmp_path, files, "AE")[0]
    assert (event["AEDECOD"], event["AEPTCD"], event["AELLTCD"]) == ("Nausea", 10028813, 10028817)
    assert event["AELLT"].startswith("Nausea of ") and "Alice" not in event["AELLT"]
    (row,) = _csv(files, "adverse_events")
    assert row["meddra_pt_term"] == "Nausea" and row["meddra_pt_code"] == "10028813"
    assert (
        row["meddra_llt_term"].startswith("Nausea of ") and "Ashdown" not in row["meddra_llt_term"]
    )

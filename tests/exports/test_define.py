"""The Define-XML 2.1 file and the data dictionary: made from metadata only, the Define-XML valid
against its schema, both describing every dataset, column and variable."""

import datetime
import html
import xml.etree.ElementTree as ET
import zipfile

import pytest

from exports import define
from exports.datasets import REGISTRY
from exports.metadata import Core, DataType, Domain, Origin, Type, Variable
from exports.package import package_problems
from exports.sdtm import DOMAINS as SDTM_DOMAINS
from exports.services import ExportOptions, export_study
from exports.signing import public_key_pem
from participants.models import ParticipantIdentity
from tests.exports.conftest import FREE_TEXT, VERBATIM, identity_values
from tests.exports.sdtm_sample import DM, DOMAINS, VS

pytestmark = pytest.mark.django_db

CREATED_AT = datetime.datetime(2025, 3, 4, 10, 30, tzinfo=datetime.UTC)
ODM = "{http://www.cdisc.org/ns/odm/v1.3}"
DEF = "{http://www.cdisc.org/ns/def/v2.1}"


@pytest.fixture
def document(study) -> bytes:
    study.protocol_number = "MP-2"
    return define.define_xml(DOMAINS.values(), study=study, created_at=CREATED_AT)


def test_define_xml_of_the_sample_domains_validates(document):
    assert define.define_problems(document) == []


def test_define_xml_describes_every_domain_variable_and_term(document, study):
    root = ET.fromstring(document)  # noqa: S314
    assert root.get("FileType") == "Snapshot"
    assert root.get(f"{DEF}Context") == "Submission"
    assert root.findtext(f".//{ODM}StudyName") == "MAPP-TEST"
    assert root.findtext(f".//{ODM}ProtocolName") == "MP-2"
    groups = {group.get("Name"): group for group in root.iter(f"{ODM}ItemGroupDef")}
    assert list(groups) == ["DM", "VS"]
    vs = groups["VS"]
    assert vs.find(f"{DEF}Class").get("Name") == "FINDINGS"
    assert vs.find(f"{DEF}leaf").get("{http://www.w3.org/1999/xlink}href") == "vs.xpt"
    assert groups["DM"].get("Repeating") == "No" and vs.get("Repeating") == "Yes"
    refs = {ref.get("ItemOID"): ref for ref in vs.iter(f"{ODM}ItemRef")}
    assert [oid.removeprefix("IT.VS.") for oid in refs] == [v.name for v in VS.variables]
    keys = sorted(
        (ref for ref in refs.values() if ref.get("KeySequence")),
        key=lambda r: int(r.get("KeySequence")),
    )
    assert [ref.get("ItemOID").removeprefix("IT.VS.") for ref in keys] == list(VS.keys)
    assert refs["IT.VS.VSTESTCD"].get("Mandatory") == "Yes"
    assert refs["IT.VS.VSORRES"].get("Mandatory") == "No"
    assert refs["IT.VS.VSELTM"].get("MethodOID") == "MT.VS.VSELTM"
    items = {item.get("OID"): item for item in root.iter(f"{ODM}ItemDef")}
    assert len(items) == len(DM.variables) + len(VS.variables)
    testcd = items["IT.VS.VSTESTCD"]
    assert (testcd.get("DataType"), testcd.get("Length"), testcd.get("SASFieldName")) == (
        "text",
        "8",
        "VSTESTCD",
    )
    assert testcd.find(f"{ODM}CodeListRef").get("CodeListOID") == "CL.VSTESTCD"
    assert testcd.find(f"{DEF}Origin").get("Type") == "Assigned"
    assert items["IT.VS.VSDTC"].get("Length") is None  # a datetime has no length
    assert items["IT.VS.VSORRES"].find(f"{DEF}Origin").get("Source") == "Investigator"
    codelists = {codelist.get("OID"): codelist for codelist in root.iter(f"{ODM}CodeList")}
    # A codelist used by several variables is written once.
    assert sorted(codelists) == ["CL.SEX", "CL.VSTESTCD", "CL.VSTPTREF"]
    sex = codelists["CL.SEX"]
    assert sex.find(f"{ODM}Alias").attrib == {"Context": "nci:ExtCodeID", "Name": "C66731"}
    assert [
        (item.get("CodedValue"), item.findtext(f".//{ODM}TranslatedText"))
        for item in sex.iter(f"{ODM}CodeListItem")
    ] == [("F", "Female"), ("M", "Male"), ("U", "Unknown")]
    assert [
        item.get("CodedValue") for item in codelists["CL.VSTPTREF"].iter(f"{ODM}EnumeratedItem")
    ] == ["INITIAL DOSE"]
    methods = {method.get("OID"): method for method in root.iter(f"{ODM}MethodDef")}
    assert (
        methods["MT.VS.VSELTM"]
        .findtext(f".//{ODM}TranslatedText")
        .startswith("The time from the initial dose")
    )


def test_a_missing_item_def_is_reported(document):
    broken = document.replace(b'<ItemDef OID="IT.VS.VSTEST"', b'<ItemDef OID="IT.VS.OTHER"')
    assert define.define_problems(broken) == ["ItemRef ItemOID=IT.VS.VSTEST: no ItemDef has it"]


def test_a_removed_required_attribute_is_reported(document):
    broken = document.replace(b' def:Structure="One record per subject"', b"", 1)
    (problem,) = define.define_problems(broken)
    assert problem.startswith("/ODM/Study/MetaDataVersion/ItemGroupDef[1]: ")
    assert "missing required attribute 'def:Structure'" in problem


def test_a_value_the_schema_refuses_is_reported(document):
    broken = document.replace(b'Name="SPECIAL PURPOSE"', b'Name="SPECIAL"')
    (problem,) = define.define_problems(broken)
    assert "def:Class" in problem and "SPECIAL" in problem


def test_a_derived_variable_without_a_method_is_reported(study):
    variable = Variable(
        "XXSEQ",
        "Sequence Number",
        Type.NUM,
        DataType.INTEGER,
        8,
        "Identifier",
        Core.REQ,
        Origin.DERIVED,
    )
    domain = Domain("XX", "Other", "FINDINGS", "One record per finding", ("XXSEQ",), (variable,))
    data = define.define_xml([domain], study=study, created_at=CREATED_AT)
    assert define.define_problems(data) == ["ItemRef IT.XX.XXSEQ: derived, without a method"]


def test_not_xml_is_reported():
    assert define.define_problems(b"<ODM")[0].startswith("not XML: ")


def test_the_export_names_the_define_file(study):
    data = define.define_xml([DM], study=study, export_id=17, created_at=CREATED_AT)
    assert ET.fromstring(data).get("FileOID") == "DEF.MAPP-TEST.EXPORT17"  # noqa: S314
    assert define.define_problems(data) == []


def _documents(study, csv_datasets=None, domains=None) -> list[tuple[str, bytes]]:
    return define.documents(
        study=study,
        csv_datasets=REGISTRY.values() if csv_datasets is None else csv_datasets,
        domains=DOMAINS.values() if domains is None else domains,
        created_at=CREATED_AT,
    )


def _dictionary(study) -> str:
    return html.unescape(dict(_documents(study))[define.DATA_DICTIONARY].decode())


def test_data_dictionary_names_every_column_and_variable(study):
    page = _dictionary(study)
    for dataset in REGISTRY.values():
        assert f'id="csv-{dataset.name}"' in page and f'href="#csv-{dataset.name}"' in page
        for column in dataset.columns:
            assert f"<code>{column.name}</code>" in page, (dataset.name, column.name)
    for domain in DOMAINS.values():
        assert f'href="#sdtm-{domain.name}"' in page
        for variable in domain.variables:
            assert f"<td><code>{variable.name}</code></td>\n<td>{variable.label}</td>" in page
            if variable.method:
                assert variable.method in page
    for term in (*DM.variables[6].codelist.terms, *VS.variables[4].codelist.terms):
        assert f"<code>{term.value}</code>: {term.decode}" in page


def test_data_dictionary_says_how_each_column_is_deidentified(study):
    entries = {
        (dataset.name, column.name): define.column_entry(dataset, column)
        for dataset in REGISTRY.values()
        for column in dataset.columns
    }
    vital = entries["vital_signs", "systolic"]
    assert (vital.type, vital.unit, vital.deidentified) == ("integer", "mmHg", "As recorded.")
    assert entries["vital_signs", "measured_at"].header_by_study_day == "measured_at_study_day"
    assert "Shifted back" in entries["vital_signs", "measured_at"].deidentified
    assert "keyed hash" in entries["vital_signs", "participant"].deidentified
    assert "90" in entries["participants", "age_at_screening"].deidentified
    assert entries["participants", "age_over_89"].type == "true/false"
    assert "identity value" in entries["adverse_events", "verbatim_term"].deidentified
    assert entries["participants", "clean"].type == "true/false"
    assert ("F", "Female") in entries["participants", "sex"].choices
    assert entries["screening", "failed_criteria"].type == "codes separated by ;"


def test_data_dictionary_is_self_contained(study):
    page = _dictionary(study)
    assert "<script" not in page and "http" not in page.replace("<!DOCTYPE html>", "")
    assert all(link.startswith("#") for link in page.split('href="')[1:])


def test_data_dictionary_and_define_xml_name_no_participant(seeded, study):
    """Built from metadata only: with a seeded study, no identity value or free text."""
    files = _documents(study)
    assert [name for name, _ in files] == ["sdtm/define.xml", "data_dictionary.html"]
    identity = ParticipantIdentity.objects.get(participant=seeded["participant1"])
    searched = [*identity_values(identity), *FREE_TEXT.values(), VERBATIM, "Alice", "Ashdown"]
    for name, data in files:
        text = html.unescape(data.decode())
        assert [value for value in searched if value.lower() in text.lower()] == [], name


def test_documents_without_domains_hold_only_the_dictionary(study):
    files = _documents(study, csv_datasets=[REGISTRY["vital_signs"]], domains=[])
    assert [name for name, _ in files] == ["data_dictionary.html"]
    assert "SDTM datasets" not in files[0][1].decode()


def test_the_package_holds_the_define_file_of_its_domains_and_the_dictionary(
    seeded, sponsor, study, tmp_path
):
    """The real SDTM domains' Define-XML validates, sits beside their XPT files and names each;
    the dictionary describes every file of the package; both are signed in the manifest."""
    out = tmp_path / "both.zip"
    export = export_study(
        actor=sponsor, study=study, options=ExportOptions(formats=("csv", "sdtm")), out=out
    )
    with zipfile.ZipFile(out) as archive:
        assert package_problems(archive, public_key_pem()) == []
        names = set(archive.namelist())
        data = archive.read("sdtm/define.xml")
        dictionary = archive.read("data_dictionary.html").decode()
    assert define.define_problems(data) == []
    leaves = {
        leaf.get(f"{{{define.XLINK_NS}}}href")
        for leaf in ET.fromstring(data).iter(f"{{{define.DEF_NS}}}leaf")  # noqa: S314
    }
    xpts = {name for name in names if name.endswith(".xpt")}
    assert {f"sdtm/{href}" for href in leaves} == xpts and len(xpts) == len(SDTM_DOMAINS)
    for domain in SDTM_DOMAINS.values():
        assert all(variable.name in dictionary for variable in domain.variables)
    listed = {item["name"] for item in export.manifest["files"]}
    assert {"sdtm/define.xml", "data_dictionary.html"} <= listed


def test_a_csv_only_package_has_the_dictionary_and_no_define_file(seeded, sponsor, study, tmp_path):
    out = tmp_path / "csv.zip"
    export_study(actor=sponsor, study=study, options=ExportOptions(datasets=("visits",)), out=out)
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        dictionary = archive.read("data_dictionary.html").decode()
    assert "data_dictionary.html" in names and "sdtm/define.xml" not in names
    assert "Visits" in dictionary and "Vital signs" not in dictionary

"""The documents that describe an export: a Define-XML 2.1 file of its SDTM datasets
(define.xml) and a readable data dictionary of every CSV dataset and SDTM domain
(data_dictionary.html).

Both are made from metadata only (exports.metadata's domains, exports.datasets' columns and the
model fields they are made from, the study's code, name and protocol number), never from a
participant's row, so neither can name one.
"""

import datetime
import importlib.metadata
import inspect
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass

import odmlib.define_2_1.model as DEFINE
import odmlib.ns_registry as NS
import xmlschema
from django.db import models
from django.template.loader import render_to_string
from odmlib import schema_manager

from accounts.models import Study
from exports.classification import classify
from exports.datasets import Column, Dataset, Use, column_field
from exports.metadata import Codelist, Core, DataType, Domain, Origin, Variable

DEFINE_XML = "sdtm/define.xml"  # beside the XPT files it points to
DATA_DICTIONARY = "data_dictionary.html"

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
DEF_NS = "http://www.cdisc.org/ns/def/v2.1"
XLINK_NS = "http://www.w3.org/1999/xlink"
DEFINE_VERSION = "2.1.0"
# The standards the SDTM datasets follow.
SDTMIG = ("SDTMIG", "3.4")
CT_VERSION = "2024-09-27"  # CDISC/NCI SDTM controlled terminology
SDTMIG_OID = "STD.SDTMIG"
CT_OID = "STD.CT.SDTM"
# Define-XML's lengths are of text and numbers; dates, times and durations have none.
_HAS_LENGTH = {DataType.TEXT, DataType.INTEGER, DataType.FLOAT}


def sdtm_file(domain: Domain) -> str:
    """The domain's XPT file as define.xml points to it: beside it, in the package's sdtm/."""
    return domain.file_name


def _text(cls, value: str):
    """A Description (or Decode) holding `value` in English."""
    return cls(TranslatedText=[DEFINE.TranslatedText(_content=value, lang="en")])


def _register_namespaces() -> None:
    """odmlib's namespace registry is shared by the process: set the three this file uses."""
    NS.NamespaceRegistry(prefix="odm", uri=ODM_NS, is_default=True, is_reset=True)
    NS.NamespaceRegistry(prefix="def", uri=DEF_NS)
    NS.NamespaceRegistry(prefix="xlink", uri=XLINK_NS)


def _item_oid(domain: Domain, variable: Variable) -> str:
    return f"IT.{domain.name}.{variable.name}"


def _method_oid(domain: Domain, variable: Variable) -> str:
    return f"MT.{domain.name}.{variable.name}"


def _codelist_oid(codelist: Codelist) -> str:
    return f"CL.{codelist.name}"


def _item_ref(domain: Domain, variable: Variable, order: int):
    ref = DEFINE.ItemRef(
        ItemOID=_item_oid(domain, variable),
        OrderNumber=order,
        Mandatory="Yes" if variable.core == Core.REQ else "No",
        Role=variable.role,
    )
    if variable.name in domain.keys:
        ref.KeySequence = domain.keys.index(variable.name) + 1
    if variable.method:
        ref.MethodOID = _method_oid(domain, variable)
    return ref


def _item_group(domain: Domain):
    leaf_id = f"LF.{domain.name}"
    return DEFINE.ItemGroupDef(
        OID=f"IG.{domain.name}",
        Name=domain.name,
        Repeating="No" if domain.structure.lower() == "one record per subject" else "Yes",
        IsReferenceData="No",
        SASDatasetName=domain.name,
        Domain=domain.name,
        Purpose="Tabulation",
        Structure=domain.structure,
        ArchiveLocationID=leaf_id,
        StandardOID=SDTMIG_OID,
        Description=_text(DEFINE.Description, domain.label),
        ItemRef=[
            _item_ref(domain, variable, order)
            for order, variable in enumerate(domain.variables, start=1)
        ],
        Class=DEFINE.Class(Name=domain.observation_class),
        leaf=DEFINE.leaf(
            ID=leaf_id, href=sdtm_file(domain), title=DEFINE.title(_content=domain.file_name)
        ),
    )


def _item(domain: Domain, variable: Variable):
    origin = DEFINE.Origin(Type=str(variable.origin))
    if variable.origin == Origin.COLLECTED:
        origin.Source = "Investigator"  # recorded by the site's staff
    item = DEFINE.ItemDef(
        OID=_item_oid(domain, variable),
        Name=variable.name,
        DataType=str(variable.data_type),
        SASFieldName=variable.name,
        Description=_text(DEFINE.Description, variable.label),
        Origin=[origin],
    )
    if variable.data_type in _HAS_LENGTH:
        item.Length = variable.length
    if variable.codelist is not None:
        item.CodeListRef = DEFINE.CodeListRef(CodeListOID=_codelist_oid(variable.codelist))
    return item


def _codelist(codelist: Codelist, data_type: DataType):
    decoded = any(term.decode for term in codelist.terms)
    code_list = DEFINE.CodeList(
        OID=_codelist_oid(codelist),
        Name=codelist.label,
        DataType="text" if data_type not in (DataType.INTEGER, DataType.FLOAT) else data_type,
    )
    if codelist.nci_code:
        code_list.StandardOID = CT_OID
        code_list.Alias = [DEFINE.Alias(Context="nci:ExtCodeID", Name=codelist.nci_code)]
    for order, term in enumerate(codelist.terms, start=1):
        if decoded:
            code_list.CodeListItem.append(
                DEFINE.CodeListItem(
                    CodedValue=term.value,
                    OrderNumber=order,
                    Decode=_text(DEFINE.Decode, term.decode or term.value),
                )
            )
        else:
            code_list.EnumeratedItem.append(
                DEFINE.EnumeratedItem(CodedValue=term.value, OrderNumber=order)
            )
    return code_list


def _method(domain: Domain, variable: Variable):
    return DEFINE.MethodDef(
        OID=_method_oid(domain, variable),
        Name=f"Algorithm to derive {domain.name}.{variable.name}",
        Type="Computation",
        Description=_text(DEFINE.Description, variable.method),
    )


def _standards(with_terminology: bool):
    standards = [
        DEFINE.Standard(
            OID=SDTMIG_OID, Name=SDTMIG[0], Type="IG", Version=SDTMIG[1], Status="Final"
        )
    ]
    if with_terminology:
        standards.append(
            DEFINE.Standard(
                OID=CT_OID,
                Name="CDISC/NCI",
                Type="CT",
                PublishingSet="SDTM",
                Version=CT_VERSION,
                Status="Final",
            )
        )
    return DEFINE.Standards(Standard=standards)


def _software_version() -> str:
    return importlib.metadata.version("trialsite")


def define_xml(
    domains: Iterable[Domain],
    *,
    study: Study,
    export_id: int | None = None,
    created_at: datetime.datetime,
) -> bytes:
    """The Define-XML 2.1 document of `domains` (each dataset's file at sdtm/<name>.xpt), of the
    study's export `export_id` (its number names the file), made at `created_at`."""
    domains = list(domains)
    codelists: dict[str, tuple[Codelist, DataType]] = {}
    for domain in domains:
        for variable in domain.variables:
            if variable.codelist is not None:
                codelists.setdefault(
                    variable.codelist.name, (variable.codelist, variable.data_type)
                )
    version = DEFINE.MetaDataVersion(
        OID=f"MDV.{study.code}.SDTMIG.{SDTMIG[1]}",
        Name=f"{study.code}, SDTMIG {SDTMIG[1]}",
        Description=f"SDTM datasets of study {study.code}",
        DefineVersion=DEFINE_VERSION,
        Standards=_standards(any(c.nci_code for c, _ in codelists.values())),
        ItemGroupDef=[_item_group(domain) for domain in domains],
        ItemDef=[_item(domain, variable) for domain in domains for variable in domain.variables],
        CodeList=[_codelist(codelist, data_type) for codelist, data_type in codelists.values()],
        MethodDef=[
            _method(domain, variable)
            for domain in domains
            for variable in domain.variables
            if variable.method
        ],
    )
    odm = DEFINE.ODM(
        FileType="Snapshot",
        FileOID=f"DEF.{study.code}" + (f".EXPORT{export_id}" if export_id is not None else ""),
        CreationDateTime=created_at.isoformat(timespec="seconds"),
        ODMVersion="1.3.2",
        Originator="trialsite",
        SourceSystem="trialsite",
        SourceSystemVersion=_software_version(),
        Context="Submission",
        Study=DEFINE.Study(
            OID=f"ST.{study.code}",
            GlobalVariables=DEFINE.GlobalVariables(
                StudyName=DEFINE.StudyName(_content=study.code),
                StudyDescription=DEFINE.StudyDescription(_content=study.name),
                ProtocolName=DEFINE.ProtocolName(_content=study.protocol_number or study.code),
            ),
            MetaDataVersion=version,
        ),
    )
    _register_namespaces()
    return odm.to_xml_string(xml_declaration=True).encode()


_SCHEMA = None


def _schema() -> xmlschema.XMLSchema:
    """The Define-XML 2.1 schema odmlib ships, read from its files only (never the network),
    compiled once per process."""
    global _SCHEMA
    if _SCHEMA is None:
        _SCHEMA = xmlschema.XMLSchema(
            schema_manager.get_schema_path("define", "2.1"), allow="local"
        )
    return _SCHEMA


# What each reference attribute points to: (element, attribute) -> the element it names.
_REFERENCES = {
    ("ItemRef", "ItemOID"): "ItemDef",
    ("ItemRef", "MethodOID"): "MethodDef",
    ("CodeListRef", "CodeListOID"): "CodeList",
    ("ItemGroupDef", f"{{{DEF_NS}}}ArchiveLocationID"): "leaf",
    ("ItemGroupDef", f"{{{DEF_NS}}}StandardOID"): "Standard",
    ("CodeList", f"{{{DEF_NS}}}StandardOID"): "Standard",
}
_DEFINED = {"ItemDef": "OID", "MethodDef": "OID", "CodeList": "OID", "leaf": "ID"}


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _reference_problems(root: ET.Element) -> list[str]:
    """What the schema cannot see: a reference to a definition the document lacks, an OID
    defined twice, a derived variable without its method."""
    defined: dict[str, set[str]] = {"Standard": set(), **{name: set() for name in _DEFINED}}
    problems = []
    for element in root.iter():
        name = _local(element.tag)
        key = "OID" if name == "Standard" else _DEFINED.get(name)
        if key is not None and key in element.attrib:
            if element.attrib[key] in defined[name]:
                problems.append(f"{name} {element.attrib[key]}: defined twice")
            defined[name].add(element.attrib[key])
    origins = {
        item.get("OID"): origin.get("Type")
        for item in root.iter(f"{{{ODM_NS}}}ItemDef")
        for origin in item.iter(f"{{{DEF_NS}}}Origin")
    }
    for element in root.iter():
        name = _local(element.tag)
        for (owner, attribute), target in _REFERENCES.items():
            value = element.get(attribute)
            if owner == name and value is not None and value not in defined[target]:
                problems.append(f"{name} {_local(attribute)}={value}: no {target} has it")
        if (
            name == "ItemRef"
            and origins.get(element.get("ItemOID")) == Origin.DERIVED
            and not element.get("MethodOID")
        ):
            problems.append(f"ItemRef {element.get('ItemOID')}: derived, without a method")
    return problems


def define_problems(data: bytes) -> list[str]:
    """What is wrong with a Define-XML 2.1 document: what its schema refuses, as "where: why",
    then what its references lack. Empty: it validates."""
    try:
        root = ET.fromstring(data)  # noqa: S314 (the export's own document, not a user's upload)
    except ET.ParseError as error:
        return [f"not XML: {error}"]
    problems = [
        f"{_readable(error.path)}: {_readable(error.reason)}"
        for error in _schema().iter_errors(ET.ElementTree(root))
    ]
    return problems + _reference_problems(root)


def _readable(text: str | None) -> str:
    """A schema error's path or reason with the namespaces as the document's prefixes."""
    return (text or "").replace(f"{{{ODM_NS}}}", "").replace(f"{{{DEF_NS}}}", "def:")


# The data dictionary.

# How each use of a field de-identifies it.
DEIDENTIFIED = {
    Use.VALUE: "As recorded.",
    Use.DATE: (
        "Shifted back by the participant's offset (1 to 364 days, the same in every file of "
        "the export); or, in an export by study day, the day relative to the first dose "
        "(no day 0), in the column named with _study_day."
    ),
    Use.PSEUDONYM: (
        "The participant's pseudonym: a keyed hash of their key; the key never leaves the server."
    ),
    Use.SCRUBBED: "Free text with every identity value of the participant removed.",
    Use.AGE: "In years; an age over 89 is given as 90.",
    Use.AGE_FLAG: "True when the age was over 89 (and given as 90).",
    Use.MINUTES: "Whole minutes after the session's initial dose: no date.",
}
# What a use makes of its field, where that is not the field's own type.
_TYPE_OF_USE = {
    Use.PSEUDONYM: "text",
    Use.AGE: "integer",
    Use.AGE_FLAG: "true/false",
    Use.MINUTES: "integer",
}
_FIELD_TYPES = {
    models.BooleanField: "true/false",
    models.DateTimeField: "date and time (ISO 8601, to the minute)",
    models.DateField: "date (ISO 8601)",
    models.DecimalField: "decimal",
    models.IntegerField: "integer",
    models.PositiveSmallIntegerField: "integer",
    models.JSONField: "codes separated by ;",
}
_CONVERTED_TYPES = {bool: "true/false", str: "text", int: "integer"}
# Columns computed by the dataset's query, which their source field does not describe.
_ANNOTATIONS = {
    ("adverse_events", "sequence"): "The event's number: 1, 2, ... per participant by onset.",
}


@dataclass(frozen=True)
class ColumnEntry:
    """A CSV column as the data dictionary describes it."""

    name: str
    header_by_study_day: str
    what: str
    type: str
    unit: str
    deidentified: str
    kind: str
    choices: tuple[tuple[str, str], ...]


def _column_type(column: Column, field) -> str:
    if column.use in _TYPE_OF_USE:
        return _TYPE_OF_USE[column.use]
    if getattr(field, "base_field", None) is not None or isinstance(field, models.JSONField):
        return "codes separated by ;"
    if column.convert is not None:
        returned = inspect.signature(column.convert).return_annotation
        return _CONVERTED_TYPES.get(returned, "text")
    for field_class, name in _FIELD_TYPES.items():
        if isinstance(field, field_class):
            if column.use == Use.DATE:
                return f"{name}; or the study day (integer)"
            return name
    if isinstance(field, models.ForeignKey | models.AutoField):
        return "integer"
    return "code" if field.choices else "text"


def _column_what(dataset: Dataset, column: Column, field) -> str:
    if (dataset.name, column.name) in _ANNOTATIONS:
        return _ANNOTATIONS[dataset.name, column.name]
    if column.convert is not None and column.convert.__doc__:
        return inspect.cleandoc(column.convert.__doc__)
    if column.use == Use.PSEUDONYM:
        return "The participant."
    what = str(field.verbose_name)
    if field.model is not dataset.model:
        what = f"{field.model._meta.verbose_name}: {what}"
    if column.use == Use.MINUTES:
        what = f"time after the initial dose ({what})"
    elif column.use == Use.AGE_FLAG:
        what = f"whether the {field.verbose_name} was over 89"
    what = what[:1].upper() + what[1:]
    help_text = str(field.help_text or "").strip()
    if help_text and not help_text.endswith("."):
        help_text += "."
    return f"{what}. {help_text}".strip()


def column_entry(dataset: Dataset, column: Column) -> ColumnEntry:
    field = column_field(dataset, column)
    measurement = getattr(field, "measurement", None)
    choices = ()
    if column.use == Use.VALUE and column.convert is None and field.choices:
        choices = tuple((str(value), str(label)) for value, label in field.flatchoices)
    return ColumnEntry(
        name=column.name,
        header_by_study_day=f"{column.name}_study_day" if column.use == Use.DATE else "",
        what=_column_what(dataset, column, field),
        type=_column_type(column, field),
        unit=measurement.unit if measurement is not None else "",
        deidentified=DEIDENTIFIED[column.use],
        kind=str(classify(field)).replace("_", "-"),
        choices=choices,
    )


def data_dictionary_html(
    *,
    study: Study,
    csv_datasets: Iterable[Dataset],
    domains: Iterable[Domain],
    created_at: datetime.datetime,
) -> bytes:
    """The data dictionary: every CSV dataset and its columns, every SDTM domain and its
    variables, on one self-contained page."""
    context = {
        "study": study,
        "created_at": created_at,
        "software_version": _software_version(),
        "datasets": [
            (dataset, [column_entry(dataset, column) for column in dataset.columns])
            for dataset in csv_datasets
        ],
        "domains": [(domain, sdtm_file(domain)) for domain in domains],
        "deidentified": DEIDENTIFIED,
    }
    return render_to_string("exports/data_dictionary.html", context).encode()


def documents(
    *,
    study: Study,
    csv_datasets: Iterable[Dataset],
    domains: Iterable[Domain],
    created_at: datetime.datetime,
    export_id: int | None = None,
) -> list[tuple[str, bytes]]:
    """The files describing the export, as (name in the package, bytes): define.xml when it
    holds SDTM domains, and the data dictionary."""
    csv_datasets, domains = list(csv_datasets), list(domains)
    files = []
    if domains:
        files.append(
            (
                DEFINE_XML,
                define_xml(domains, study=study, export_id=export_id, created_at=created_at),
            )
        )
    dictionary = data_dictionary_html(
        study=study, csv_datasets=csv_datasets, domains=domains, created_at=created_at
    )
    files.append((DATA_DICTIONARY, dictionary))
    return files

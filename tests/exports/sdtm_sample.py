"""A small but realistic description of two SDTM domains (DM and VS), for the Define-XML and
data-dictionary tests: codelists with NCI codes, keys, a derived variable with its method."""

from exports.metadata import Codelist, Core, DataType, Domain, Origin, Term, Type, Variable

SEX = Codelist(
    "SEX",
    "Sex",
    (Term("F", "Female"), Term("M", "Male"), Term("U", "Unknown")),
    nci_code="C66731",
)
VSTESTCD = Codelist(
    "VSTESTCD",
    "Vital Signs Test Code",
    (
        Term("SYSBP", "Systolic Blood Pressure"),
        Term("DIABP", "Diastolic Blood Pressure"),
        Term("PULSE", "Pulse Rate"),
        Term("TEMP", "Temperature"),
    ),
    nci_code="C66741",
)
# Terms without decodes: enumerated values.
VSTPTREF = Codelist("VSTPTREF", "Time Point Reference", (Term("INITIAL DOSE"),))


def _text(name, label, length, role, core=Core.REQ, origin=Origin.ASSIGNED, **more):
    return Variable(name, label, Type.CHAR, DataType.TEXT, length, role, core, origin, **more)


STUDYID = _text("STUDYID", "Study Identifier", 12, "Identifier")
USUBJID = _text(
    "USUBJID",
    "Unique Subject Identifier",
    40,
    "Identifier",
    origin=Origin.DERIVED,
    method="STUDYID and the participant's pseudonym, joined by a hyphen.",
)

DM = Domain(
    name="DM",
    label="Demographics",
    observation_class="SPECIAL PURPOSE",
    structure="One record per subject",
    keys=("STUDYID", "USUBJID"),
    variables=(
        STUDYID,
        _text("DOMAIN", "Domain Abbreviation", 2, "Identifier"),
        USUBJID,
        _text("SUBJID", "Subject Identifier for the Study", 20, "Topic"),
        _text("SITEID", "Study Site Identifier", 2, "Record Qualifier", origin=Origin.COLLECTED),
        Variable(
            "AGE",
            "Age",
            Type.NUM,
            DataType.INTEGER,
            8,
            "Record Qualifier",
            Core.EXP,
            Origin.COLLECTED,
            method="",
        ),
        _text("SEX", "Sex", 1, "Record Qualifier", origin=Origin.COLLECTED, codelist=SEX),
        _text("COUNTRY", "Country", 3, "Record Qualifier", origin=Origin.COLLECTED),
        Variable(
            "RFSTDTC",
            "Subject Reference Start Date/Time",
            Type.CHAR,
            DataType.DATETIME,
            16,
            "Record Qualifier",
            Core.EXP,
            Origin.DERIVED,
            method="The date and time of the participant's first initial dose.",
        ),
    ),
    sources=("participants",),
)

VS = Domain(
    name="VS",
    label="Vital Signs",
    observation_class="FINDINGS",
    structure="One record per vital sign measurement per time point per visit per subject",
    keys=("STUDYID", "USUBJID", "VSTESTCD", "VISITNUM", "VSTPTNUM"),
    variables=(
        STUDYID,
        _text("DOMAIN", "Domain Abbreviation", 2, "Identifier"),
        USUBJID,
        Variable(
            "VSSEQ",
            "Sequence Number",
            Type.NUM,
            DataType.INTEGER,
            8,
            "Identifier",
            Core.REQ,
            Origin.DERIVED,
            method="Numbered 1, 2, ... per subject in order of measurement.",
        ),
        _text("VSTESTCD", "Vital Signs Test Short Name", 8, "Topic", codelist=VSTESTCD),
        _text("VSTEST", "Vital Signs Test Name", 40, "Synonym Qualifier"),
        _text(
            "VSORRES",
            "Result or Finding in Original Units",
            20,
            "Result Qualifier",
            core=Core.EXP,
            origin=Origin.COLLECTED,
        ),
        _text("VSORRESU", "Original Units", 10, "Variable Qualifier", core=Core.EXP),
        Variable(
            "VSSTRESN",
            "Numeric Result/Finding in Standard Units",
            Type.NUM,
            DataType.FLOAT,
            8,
            "Result Qualifier",
            Core.EXP,
            Origin.DERIVED,
            method="VSORRES as a number (the units are standard already).",
        ),
        Variable(
            "VISITNUM",
            "Visit Number",
            Type.NUM,
            DataType.INTEGER,
            8,
            "Timing",
            Core.EXP,
            Origin.ASSIGNED,
        ),
        Variable(
            "VSTPTNUM",
            "Planned Time Point Number",
            Type.NUM,
            DataType.INTEGER,
            8,
            "Timing",
            Core.PERM,
            Origin.DERIVED,
            method="The reading's order in its session.",
        ),
        _text("VSTPTREF", "Time Point Reference", 12, "Timing", core=Core.PERM, codelist=VSTPTREF),
        Variable(
            "VSDTC",
            "Date/Time of Measurements",
            Type.CHAR,
            DataType.DATETIME,
            16,
            "Timing",
            Core.EXP,
            Origin.COLLECTED,
        ),
        Variable(
            "VSELTM",
            "Planned Elapsed Time from Time Point Ref",
            Type.CHAR,
            DataType.DURATION,
            12,
            "Timing",
            Core.PERM,
            Origin.DERIVED,
            method="The time from the initial dose as an ISO 8601 duration, e.g. PT1H30M.",
        ),
    ),
    sources=("vital_signs",),
)

DOMAINS: dict[str, Domain] = {domain.name: domain for domain in (DM, VS)}

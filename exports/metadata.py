"""What an SDTM dataset of the export is: its variables with their names, labels, types and
lengths, roles, origins and controlled terms. The XPT writer (exports.xpt), the SDTM domains
(exports.sdtm), the Define-XML file and the data dictionary (exports.define) all read it, so a
variable is described once."""

from dataclasses import dataclass
from enum import StrEnum

# SAS transport v5: names up to 8 characters, labels up to 40, character values up to 200 bytes.
NAME_MAX = 8
LABEL_MAX = 40
CHAR_MAX = 200
# How character values are encoded in the files (SDTM expects ASCII; exports.sdtm transliterates).
ENCODING = "ascii"


class Type(StrEnum):
    CHAR = "Char"
    NUM = "Num"


class DataType(StrEnum):
    """Define-XML 2.1's data types of a variable's values."""

    TEXT = "text"
    INTEGER = "integer"
    FLOAT = "float"
    DATE = "date"
    DATETIME = "datetime"
    DURATION = "durationDatetime"


class Origin(StrEnum):
    """Define-XML 2.1's origin types."""

    COLLECTED = "Collected"
    DERIVED = "Derived"
    ASSIGNED = "Assigned"
    PROTOCOL = "Protocol"


class Core(StrEnum):
    """SDTMIG's core: required (never empty), expected (present, may be empty), permissible."""

    REQ = "Req"
    EXP = "Exp"
    PERM = "Perm"


@dataclass(frozen=True)
class Term:
    """A controlled term: the value as submitted and what it means."""

    value: str
    decode: str = ""


@dataclass(frozen=True)
class Codelist:
    name: str  # "NY", "SEX", "VSTESTCD"
    label: str  # "No Yes Response"
    terms: tuple[Term, ...]
    nci_code: str = ""  # the CDISC codelist's C-code, where it is one


@dataclass(frozen=True)
class Variable:
    name: str
    label: str
    type: Type
    data_type: DataType
    length: int  # bytes of a character value; 8 for a number
    role: str  # "Identifier", "Topic", "Timing", "Synonym Qualifier", "Result Qualifier", ...
    core: Core
    origin: Origin
    codelist: Codelist | None = None
    # How a derived or assigned value is made (Define-XML's method; the dictionary's text).
    method: str = ""


@dataclass(frozen=True)
class Domain:
    name: str  # "VS"
    label: str  # "Vital Signs"
    observation_class: str  # Define-XML def:Class: "FINDINGS", "EVENTS", "INTERVENTIONS", ...
    structure: str  # "One record per vital sign measurement per time point per visit per subject"
    keys: tuple[str, ...]  # the key variables, in order
    variables: tuple[Variable, ...]
    # The CSV datasets (exports.datasets.REGISTRY) it is made from: written when one is chosen.
    sources: tuple[str, ...] = ()

    @property
    def file_name(self) -> str:
        return f"{self.name.lower()}.xpt"


def variable_problems(domain: Domain) -> list[str]:
    """What SAS transport v5 would refuse in the domain's description, as "DOMAIN.VARIABLE: why"."""
    problems = []
    for variable in domain.variables:
        where = f"{domain.name}.{variable.name}"
        if len(variable.name) > NAME_MAX or not variable.name.isascii():
            problems.append(f"{where}: a name has at most {NAME_MAX} ASCII characters")
        if len(variable.label) > LABEL_MAX:
            problems.append(f"{where}: a label has at most {LABEL_MAX} characters")
        if variable.type == Type.CHAR and not 1 <= variable.length <= CHAR_MAX:
            problems.append(f"{where}: a character value has 1 to {CHAR_MAX} bytes")
        if variable.type == Type.NUM and variable.length != 8:
            problems.append(f"{where}: a number is written in 8 bytes")
    names = [variable.name for variable in domain.variables]
    for key in domain.keys:
        if key not in names:
            problems.append(f"{domain.name}.{key}: a key that is not a variable")
    return problems

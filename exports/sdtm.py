"""The SDTMIG 3.4 datasets of an export: DM, SV, EX, VS, AE and DS, described as exports.metadata
Domains (DOMAINS) and read by `domain_rows` as tuples in their variables' order.

Each domain reads the rows of a CSV dataset of exports.datasets (its `sources[0]`: the same
scope, the same filters and order, read the same way, a chunk at a time) with the export's
ExportContext, so that the pseudonyms and the date shifts are those of the CSV files of the same
export. USUBJID is the study's code and the participant's pseudonym; SUBJID the pseudonym.

Dates: shifted (the export's default), --DTC is the shifted ISO 8601 date or date and time at the
site's wall clock, without its zone ("2026-03-01T10:30"), and --DY the study day. In study-day
mode every --DTC is empty and only --DY is given. --DY: day 1 is the day of the first dose
(RFSTDTC), the day before it -1: there is no day 0.

Character values are ASCII (metadata.ENCODING); the free texts, the verbatim AE term and the
MedDRA terms the monitor coded it with (each scrubbed of the participant's identity), are
transliterated to it (`ascii_text`).

What the app does not record is left empty rather than made up: RFICDTC (no date of consent is
kept), RACE and ETHNIC (not collected), AEDECOD until the monitor has coded the event. The
arm is blinded (DESIGN.md: the actual arm is never held here): ARMCD "BLINDED". SUDS is a rating
of distress, not a vital sign: it is not in VS (it is in the vital_signs CSV).
"""

import unicodedata
from collections.abc import Callable, Iterator
from functools import lru_cache

from django.db.models import Exists, OuterRef, Q, Subquery

from exports.datasets import REGISTRY, ExportContext, initial_dose_at, whole_minutes
from exports.deidentify import DateMode, capped_age, country_code, without_identity
from exports.metadata import (
    Codelist,
    Core,
    DataType,
    Domain,
    Origin,
    Term,
    Type,
    Variable,
)
from participants.models import Participant, ParticipantIdentity
from records.measurements import VITAL_SIGNS
from safety.models import AdverseEvent
from screening.models import ScreeningAttempt
from sessions_app import schedule
from sessions_app.models import DoseAdministration, Visit

# --- Controlled terms -------------------------------------------------------------------------


def _codelist(name: str, label: str, nci_code: str, *terms) -> Codelist:
    return Codelist(
        name,
        label,
        tuple(Term(*term) if isinstance(term, tuple) else Term(term) for term in terms),
        nci_code,
    )


NY = _codelist("NY", "No Yes Response", "C66742", ("N", "No"), ("Y", "Yes"))
SEX = _codelist(
    "SEX",
    "Sex",
    "C66731",
    ("F", "Female"),
    ("M", "Male"),
    ("U", "Unknown"),
    ("UNDIFFERENTIATED", "Undifferentiated"),
)
AGEU = _codelist("AGEU", "Age Unit", "C66781", ("YEARS", "Years"))
ARMNRS = _codelist(
    "ARMNRS",
    "Reason Arm and/or Actual Arm is Null",
    "C142179",
    "SCREEN FAILURE",
    "NOT ASSIGNED",
    "ASSIGNED, NOT TREATED",
)
EPOCH = _codelist("EPOCH", "Epoch", "C99079", "SCREENING", "TREATMENT")
VSTESTCD = _codelist(
    "VSTESTCD",
    "Vital Signs Test Code",
    "C66741",
    *((m.vstestcd, m.vstest) for m in VITAL_SIGNS),
)
VSTEST = _codelist("VSTEST", "Vital Signs Test Name", "C67153", *(m.vstest for m in VITAL_SIGNS))
# The measurement registry's units as CDISC's Unit codelist writes them.
VS_UNITS = {"mmHg": "mmHg", "bpm": "beats/min", "°C": "C"}
VSRESU = _codelist("VSRESU", "Vital Signs Result Unit", "C66770", *sorted(set(VS_UNITS.values())))
UNIT = _codelist("UNIT", "Unit", "C71620", ("mg", "Milligram"))
FRM = _codelist("FRM", "Pharmaceutical Dosage Form", "C66726", "CAPSULE")
ROUTE = _codelist("ROUTE", "Route of Administration", "C66729", "ORAL")
TOXGR = _codelist("TOXGR", "CTCAE Grade", "", *(str(grade) for grade in AdverseEvent.Grade))
OUT = _codelist(
    "OUT",
    "Outcome of Event",
    "C66768",
    "RECOVERED/RESOLVED",
    "RECOVERING/RESOLVING",
    "NOT RECOVERED/NOT RESOLVED",
    "RECOVERED/RESOLVED WITH SEQUELAE",
    "FATAL",
    "UNKNOWN",
)
ACN = _codelist(
    "ACN",
    "Action Taken with Study Treatment",
    "C66767",
    "DOSE NOT CHANGED",
    "DOSE REDUCED",
    "DRUG INTERRUPTED",
    "DRUG WITHDRAWN",
    "NOT APPLICABLE",
)
AEREL = _codelist(
    "AEREL",
    "Causality (sponsor-defined)",
    "",
    "NOT RELATED",
    "UNLIKELY RELATED",
    "POSSIBLY RELATED",
    "PROBABLY RELATED",
    "RELATED",
)
STENRF = _codelist("STENRF", "Relation to Reference Period", "C66728", "ONGOING")
NCOMPLT = _codelist(
    "NCOMPLT",
    "Completion/Reason for Non-Completion",
    "C66727",
    "COMPLETED",
    "SCREEN FAILURE",
    "WITHDRAWAL BY SUBJECT",
    "ADVERSE EVENT",
    "PHYSICIAN DECISION",
    "LOST TO FOLLOW-UP",
    "PROTOCOL DEVIATION",
    "PREGNANCY",
    "OTHER",
)
DSCAT = _codelist("DSCAT", "Category for Disposition Event", "C74558", "DISPOSITION EVENT")

SEX_OF = {
    ParticipantIdentity.Sex.FEMALE: "F",
    ParticipantIdentity.Sex.MALE: "M",
    ParticipantIdentity.Sex.INTERSEX: "UNDIFFERENTIATED",
    ParticipantIdentity.Sex.UNDISCLOSED: "U",
}
OUTCOME_OF = dict(zip(AdverseEvent.Outcome.values, (t.value for t in OUT.terms), strict=True))
ACTION_OF = {
    AdverseEvent.ActionTaken.NONE: "DOSE NOT CHANGED",
    AdverseEvent.ActionTaken.SUPPLEMENTAL_NOT_GIVEN: "DOSE REDUCED",
    AdverseEvent.ActionTaken.NEXT_DOSE_POSTPONED: "DRUG INTERRUPTED",
    AdverseEvent.ActionTaken.DISCONTINUED: "DRUG WITHDRAWN",
    AdverseEvent.ActionTaken.NOT_APPLICABLE: "NOT APPLICABLE",
}
RELATION_OF = dict(zip(AdverseEvent.Causality.values, (t.value for t in AEREL.terms), strict=True))
WITHDRAWAL_OF = {
    Participant.WithdrawalCategory.PARTICIPANT: "WITHDRAWAL BY SUBJECT",
    Participant.WithdrawalCategory.ADVERSE_EVENT: "ADVERSE EVENT",
    Participant.WithdrawalCategory.INVESTIGATOR: "PHYSICIAN DECISION",
    Participant.WithdrawalCategory.LOST_TO_FOLLOW_UP: "LOST TO FOLLOW-UP",
    Participant.WithdrawalCategory.PROTOCOL_DEVIATION: "PROTOCOL DEVIATION",
    Participant.WithdrawalCategory.PREGNANCY: "PREGNANCY",
    Participant.WithdrawalCategory.OTHER: "OTHER",
}
SERIOUSNESS = {
    "AESDTH": ("serious_death", "Results in Death"),
    "AESLIFE": ("serious_life_threatening", "Is Life Threatening"),
    "AESHOSP": ("serious_hospitalisation", "Requires or Prolongs Hospitalization"),
    "AESDISAB": ("serious_disability", "Persist or Signif Disability/Incapacity"),
    "AESCONG": ("serious_congenital_anomaly", "Congenital Anomaly or Birth Defect"),
    "AESMIE": ("serious_other_important", "Other Medically Important Serious Event"),
}

# The arm is blinded: the app never holds it (DESIGN.md).
ARMCD_BLINDED = "BLINDED"
ARM_BLINDED = "Blinded: MDMA or placebo"
EXTRT_BLINDED = "MDMA OR PLACEBO (BLINDED)"
TPTREF = "INITIAL DOSE"

# --- Variables --------------------------------------------------------------------------------

# Long enough for any study code (32), "-" and a pseudonym (16).
USUBJID_LENGTH = 49
VISITNUM_METHOD = "The visit's place in the course."
FIRST_DOSE, LAST_DOSE = "The first dose.", "The last dose."
NOT_COLLECTED = "Not collected by the app."
MEDDRA = "The monitor's MedDRA coding."
DTC_LENGTH = 16  # "YYYY-MM-DDTHH:MM"
R = Core.REQ
E = Core.EXP
P = Core.PERM
CRF = Origin.COLLECTED
DERIVED = Origin.DERIVED
ASSIGNED = Origin.ASSIGNED


def char(
    name: str,
    label: str,
    length: int,
    role: str,
    core: Core,
    origin: Origin = CRF,
    codelist: Codelist | None = None,
    method: str = "",
    data_type: DataType = DataType.TEXT,
) -> Variable:
    return Variable(name, label, Type.CHAR, data_type, length, role, core, origin, codelist, method)


def num(
    name: str,
    label: str,
    role: str,
    core: Core,
    origin: Origin = DERIVED,
    method: str = "",
    data_type: DataType = DataType.INTEGER,
) -> Variable:
    return Variable(name, label, Type.NUM, data_type, 8, role, core, origin, None, method)


def _identifiers() -> tuple[Variable, ...]:
    return (
        char("STUDYID", "Study Identifier", 32, "Identifier", R, ASSIGNED),
        char("DOMAIN", "Domain Abbreviation", 2, "Identifier", R, ASSIGNED),
        char(
            "USUBJID",
            "Unique Subject Identifier",
            USUBJID_LENGTH,
            "Identifier",
            R,
            DERIVED,
            method="The study's code, a hyphen and the participant's pseudonym.",
        ),
    )


def _seq(prefix: str) -> Variable:
    return num(
        f"{prefix}SEQ",
        "Sequence Number",
        "Identifier",
        R,
        method="Numbered from 1 per subject, in the order of time.",
    )


def _dtc(name: str, label: str, core: Core, origin: Origin = CRF, method: str = "") -> Variable:
    method = method or "Shifted back by the participant's days; empty when dates are study days."
    return char(name, label, DTC_LENGTH, "Timing", core, origin, None, method, DataType.DATETIME)


def _dy(name: str, label: str, core: Core = P) -> Variable:
    return num(name, label, "Timing", core, method="Study day: 1 on RFSTDTC's day; no day 0.")


def _visit() -> tuple[Variable, ...]:
    return (
        num("VISITNUM", "Visit Number", "Timing", E, ASSIGNED, VISITNUM_METHOD),
        char("VISIT", "Visit Name", 20, "Timing", P, ASSIGNED),
    )


def _arm(name: str, label: str, blinded_for: str) -> tuple[Variable, Variable]:
    """An arm's code (ARMCD, ACTARMCD) and its description (ARM, ACTARM)."""
    code = f"{name}CD"
    method = f"{ARMCD_BLINDED} for {blinded_for}."
    return (
        char(code, f"{label} Code", 8, "Record Qualifier", E, ASSIGNED, method=method),
        char(name, f"Description of {label}", 40, "Synonym Qualifier", E, ASSIGNED),
    )


DM = Domain(
    name="DM",
    label="Demographics",
    observation_class="SPECIAL PURPOSE",
    structure="One record per subject",
    keys=("STUDYID", "USUBJID"),
    sources=("participants",),
    variables=(
        *_identifiers(),
        char(
            "SUBJID",
            "Subject Identifier for the Study",
            16,
            "Topic",
            R,
            DERIVED,
            method="The participant's pseudonym (a keyed hash: new per export, or stable).",
        ),
        _dtc("RFSTDTC", "Subject Reference Start Date/Time", E, DERIVED, FIRST_DOSE),
        _dtc("RFENDTC", "Subject Reference End Date/Time", E, DERIVED, LAST_DOSE),
        _dtc("RFXSTDTC", "Date/Time of First Study Treatment", E, DERIVED, FIRST_DOSE),
        _dtc("RFXENDTC", "Date/Time of Last Study Treatment", E, DERIVED, LAST_DOSE),
        _dtc("RFICDTC", "Date/Time of Informed Consent", E, method="Not recorded by the app."),
        _dtc(
            "RFPENDTC",
            "Date/Time of End of Participation",
            E,
            DERIVED,
            "The day of withdrawal, or of the last visit held once completed.",
        ),
        char(
            "DTHFL",
            "Subject Death Flag",
            1,
            "Record Qualifier",
            E,
            DERIVED,
            NY,
            "Y when a reported adverse event resulted in death; otherwise empty.",
        ),
        char("SITEID", "Study Site Identifier", 2, "Record Qualifier", R, ASSIGNED),
        num(
            "AGE",
            "Age",
            "Record Qualifier",
            E,
            method="Age at the latest screening; over 89 given as 90.",
        ),
        char("AGEU", "Age Units", 5, "Variable Qualifier", E, ASSIGNED, AGEU),
        char("SEX", "Sex", 16, "Record Qualifier", R, CRF, SEX),
        char("RACE", "Race", 1, "Record Qualifier", E, method=NOT_COLLECTED),
        char("ETHNIC", "Ethnicity", 1, "Record Qualifier", P, method=NOT_COLLECTED),
        *_arm("ARM", "Planned Arm", "an enrolled subject: the app never holds the arm"),
        *_arm("ACTARM", "Actual Arm", "a dosed subject"),
        char(
            "ARMNRS",
            "Reason Arm and/or Actual Arm is Null",
            24,
            "Record Qualifier",
            E,
            DERIVED,
            ARMNRS,
            method="SCREEN FAILURE when never enrolled; ASSIGNED, NOT TREATED when enrolled "
            "and never dosed; empty otherwise.",
        ),
        char(
            "COUNTRY",
            "Country",
            3,
            "Record Qualifier",
            R,
            DERIVED,
            method="ISO 3166-1 alpha-3 of the participant's country (empty if not recognised).",
        ),
    ),
)

SV = Domain(
    name="SV",
    label="Subject Visits",
    observation_class="SPECIAL PURPOSE",
    structure="One record per actual visit per subject",
    keys=("STUDYID", "USUBJID", "VISITNUM"),
    sources=("visits",),
    variables=(
        *_identifiers(),
        num("VISITNUM", "Visit Number", "Topic", R, ASSIGNED, VISITNUM_METHOD),
        char("VISIT", "Visit Name", 20, "Synonym Qualifier", P, ASSIGNED),
        _dtc("SVSTDTC", "Start Date/Time of Visit", E),
        _dtc("SVENDTC", "End Date/Time of Visit", E),
        _dy("SVSTDY", "Study Day of Start of Visit"),
        _dy("SVENDY", "Study Day of End of Visit"),
    ),
)

EX = Domain(
    name="EX",
    label="Exposure",
    observation_class="INTERVENTIONS",
    structure="One record per administration per subject",
    keys=("STUDYID", "USUBJID", "EXTRT", "EXSTDTC"),
    sources=("doses",),
    variables=(
        *_identifiers(),
        _seq("EX"),
        char(
            "EXTRT",
            "Name of Treatment",
            40,
            "Topic",
            R,
            ASSIGNED,
            method="The investigational product is blinded.",
        ),
        char(
            "EXCAT",
            "Category of Treatment",
            12,
            "Grouping Qualifier",
            P,
            CRF,
            method="INITIAL or SUPPLEMENTAL dose.",
        ),
        num("EXDOSE", "Dose", "Record Qualifier", E, CRF, "The dose as labelled."),
        char("EXDOSU", "Dose Units", 2, "Variable Qualifier", E, ASSIGNED, UNIT),
        char("EXDOSFRM", "Dose Form", 7, "Variable Qualifier", E, ASSIGNED, FRM),
        char("EXROUTE", "Route of Administration", 4, "Variable Qualifier", P, ASSIGNED, ROUTE),
        *_visit(),
        char("EPOCH", "Epoch", 9, "Timing", P, ASSIGNED, EPOCH),
        _dtc("EXSTDTC", "Start Date/Time of Treatment", E),
        _dtc("EXENDTC", "End Date/Time of Treatment", E),
        _dy("EXSTDY", "Study Day of Start of Treatment"),
        _dy("EXENDY", "Study Day of End of Treatment"),
    ),
)

VS = Domain(
    name="VS",
    label="Vital Signs",
    observation_class="FINDINGS",
    structure="One record per vital sign measurement per time point per visit per subject",
    keys=("STUDYID", "USUBJID", "VSTESTCD", "VISITNUM", "VSTPTNUM", "VSDTC"),
    sources=("vital_signs",),
    variables=(
        *_identifiers(),
        _seq("VS"),
        char("VSTESTCD", "Vital Signs Test Short Name", 8, "Topic", R, ASSIGNED, VSTESTCD),
        char("VSTEST", "Vital Signs Test Name", 40, "Synonym Qualifier", R, ASSIGNED, VSTEST),
        char("VSORRES", "Result or Finding in Original Units", 8, "Result Qualifier", E),
        char("VSORRESU", "Original Units", 9, "Variable Qualifier", E, ASSIGNED, VSRESU),
        char(
            "VSSTRESC",
            "Character Result/Finding in Std Format",
            8,
            "Result Qualifier",
            E,
            DERIVED,
            method="VSORRES: the results are collected in the standard units.",
        ),
        num(
            "VSSTRESN",
            "Numeric Result/Finding in Standard Units",
            "Result Qualifier",
            E,
            method="VSORRES as a number.",
            data_type=DataType.FLOAT,
        ),
        char("VSSTRESU", "Standard Units", 9, "Variable Qualifier", E, ASSIGNED, VSRESU),
        *_visit(),
        char("EPOCH", "Epoch", 9, "Timing", P, ASSIGNED, EPOCH),
        _dtc("VSDTC", "Date/Time of Measurements", E),
        _dy("VSDY", "Study Day of Vital Signs"),
        char(
            "VSTPT",
            "Planned Time Point Name",
            40,
            "Timing",
            P,
            DERIVED,
            method="The time from the initial dose in words.",
        ),
        num(
            "VSTPTNUM",
            "Planned Time Point Number",
            "Timing",
            P,
            method="Whole minutes from the initial dose (negative before it).",
        ),
        char(
            "VSELTM",
            "Planned Elapsed Time from Time Point Ref",
            12,
            "Timing",
            P,
            DERIVED,
            method="ISO 8601 duration from the initial dose, e.g. PT1H30M; -PT15M before it.",
            data_type=DataType.DURATION,
        ),
        char("VSTPTREF", "Time Point Reference", 12, "Timing", P, ASSIGNED),
        _dtc(
            "VSRFTDTC",
            "Date/Time of Reference Time Point",
            P,
            DERIVED,
            "The session's initial dose, shifted; empty when dates are study days.",
        ),
    ),
)


def _flag(name: str, label: str, method: str = "") -> Variable:
    return char(name, label, 1, "Record Qualifier", E, CRF, NY, method)


AE = Domain(
    name="AE",
    label="Adverse Events",
    observation_class="EVENTS",
    structure="One record per adverse event per subject",
    keys=("STUDYID", "USUBJID", "AEDECOD", "AESTDTC"),
    sources=("adverse_events",),
    variables=(
        *_identifiers(),
        _seq("AE"),
        char(
            "AETERM",
            "Reported Term for the Adverse Event",
            200,
            "Topic",
            R,
            CRF,
            method="The verbatim term without the participant's identity, transliterated "
            "to ASCII (a character without an ASCII form becomes ?).",
        ),
        char(
            "AELLT",
            "Lowest Level Term",
            100,
            "Variable Qualifier",
            P,
            ASSIGNED,
            method="The MedDRA lowest level term the medical monitor coded the event with, "
            "without the participant's identity, in ASCII.",
        ),
        num(
            "AELLTCD",
            "Lowest Level Term Code",
            "Variable Qualifier",
            P,
            ASSIGNED,
            MEDDRA,
        ),
        char(
            "AEDECOD",
            "Dictionary-Derived Term",
            100,
            "Synonym Qualifier",
            R,
            ASSIGNED,
            method="The MedDRA preferred term the medical monitor coded the event with (empty "
            "until coded), without the participant's identity, in ASCII.",
        ),
        num(
            "AEPTCD",
            "Preferred Term Code",
            "Variable Qualifier",
            P,
            ASSIGNED,
            MEDDRA,
        ),
        char(
            "AESER",
            "Serious Event",
            1,
            "Record Qualifier",
            E,
            DERIVED,
            NY,
            "Y when any of the six seriousness criteria is Y.",
        ),
        char("AEACN", "Action Taken with Study Treatment", 16, "Record Qualifier", E, CRF, ACN),
        char(
            "AEREL",
            "Causality",
            16,
            "Record Qualifier",
            E,
            CRF,
            AEREL,
            "The investigator's causality to the investigational product.",
        ),
        char("AEOUT", "Outcome of Adverse Event", 32, "Record Qualifier", P, CRF, OUT),
        *(_flag(name, label) for name, (_, label) in SERIOUSNESS.items()),
        char(
            "AETOXGR",
            "Standard Toxicity Grade",
            1,
            "Record Qualifier",
            E,
            CRF,
            TOXGR,
            "CTCAE v5.0 grade.",
        ),
        char(
            "EPOCH",
            "Epoch",
            9,
            "Timing",
            P,
            DERIVED,
            EPOCH,
            method="TREATMENT from the first dose's day (AESTDY 1 or later), SCREENING before.",
        ),
        _dtc(
            "AESTDTC",
            "Start Date/Time of Adverse Event",
            E,
            method="Shifted; a date alone when only the date of onset is known.",
        ),
        _dtc("AEENDTC", "End Date/Time of Adverse Event", E),
        _dy("AESTDY", "Study Day of Start of Adverse Event"),
        _dy("AEENDY", "Study Day of End of Adverse Event"),
        char(
            "AEENRF",
            "End Relative to Reference Period",
            7,
            "Timing",
            P,
            DERIVED,
            STENRF,
            "ONGOING when the event is ongoing.",
        ),
    ),
)

DS = Domain(
    name="DS",
    label="Disposition",
    observation_class="EVENTS",
    structure="One record per disposition status per subject",
    keys=("STUDYID", "USUBJID", "DSDECOD", "DSSTDTC"),
    sources=("participants",),
    variables=(
        *_identifiers(),
        _seq("DS"),
        char(
            "DSTERM",
            "Reported Term for the Disposition Event",
            24,
            "Topic",
            R,
            DERIVED,
            method="The decoded term: the details typed at withdrawal are free text.",
        ),
        char(
            "DSDECOD",
            "Standardized Disposition Term",
            24,
            "Synonym Qualifier",
            R,
            DERIVED,
            NCOMPLT,
            method="SCREEN FAILURE, COMPLETED, or the withdrawal's category as its NCOMPLT term.",
        ),
        char(
            "DSCAT", "Category for Disposition Event", 17, "Grouping Qualifier", E, ASSIGNED, DSCAT
        ),
        char(
            "EPOCH",
            "Epoch",
            9,
            "Timing",
            P,
            DERIVED,
            EPOCH,
            method="SCREENING for a screen failure, TREATMENT otherwise.",
        ),
        _dtc(
            "DSSTDTC",
            "Start Date/Time of Disposition Event",
            E,
            DERIVED,
            "Screen failure: the latest screening; withdrawn: the day of withdrawal; "
            "completed: the last visit held.",
        ),
        _dy("DSSTDY", "Study Day of Start of Disposition Event"),
    ),
)

DOMAINS: dict[str, Domain] = {domain.name: domain for domain in (DM, SV, EX, VS, AE, DS)}

# --- Values -----------------------------------------------------------------------------------


def ascii_text(text: str | None) -> str:
    """`text` in ASCII: accents dropped ("é" -> "e"), and ? for what has no ASCII form."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return kept.encode("ascii", "replace").decode("ascii")


def iso_duration(minutes: int | None) -> str:
    """Whole minutes as an ISO 8601 duration: 90 -> "PT1H30M", -15 -> "-PT15M", 0 -> "PT0M"."""
    if minutes is None:
        return ""
    hours, rest = divmod(abs(minutes), 60)
    text = (f"{hours}H" if hours else "") + (f"{rest}M" if rest or not hours else "")
    return f"{'-' if minutes < 0 else ''}PT{text}"


def time_point(minutes: int | None) -> str:
    """VSTPT: "AT INITIAL DOSE", "1H30M AFTER INITIAL DOSE", "15M BEFORE INITIAL DOSE"."""
    if minutes is None:
        return ""
    if minutes == 0:
        return f"AT {TPTREF}"
    when = "AFTER" if minutes > 0 else "BEFORE"
    return f"{iso_duration(abs(minutes))[2:]} {when} {TPTREF}"


@lru_cache(maxsize=512)
def _yn(value: bool | None) -> str:
    return "" if value is None else ("Y" if value else "N")


def _code_number(code: str | None) -> int | None:
    return int(code) if code else None


class _Subject:
    """The identifiers and dates of one participant's records in the export."""

    def __init__(self, ctx: ExportContext):
        self.ctx = ctx
        self.studyid = ctx.study.code
        self._seq: dict[int, int] = {}

    def usubjid(self, participant_id: int) -> str:
        return f"{self.studyid}-{self.ctx.deidentifier.pseudonym(participant_id)}"

    def head(self, domain: str, participant_id: int) -> dict:
        return {"STUDYID": self.studyid, "DOMAIN": domain, "USUBJID": self.usubjid(participant_id)}

    def seq(self, participant_id: int) -> int:
        """The next --SEQ of the participant: 1, 2, ... in the order the rows come."""
        self._seq[participant_id] = self._seq.get(participant_id, 0) + 1
        return self._seq[participant_id]

    def dtc(self, participant_id: int, value) -> str:
        """--DTC: the shifted date or time; empty in study-day mode."""
        if value is None or self.ctx.dates == DateMode.STUDY_DAY:
            return ""
        return self.ctx.date(participant_id, value)

    def dy(self, participant_id: int, value) -> int | None:
        return self.ctx.day(participant_id, value)


def _live_doses() -> DoseAdministration:
    return DoseAdministration.objects.filter(
        session__visit__participant=OuterRef("pk"), voided_at__isnull=True
    )


def _last_held() -> Subquery:
    """The day of the participant's last visit held."""
    held = Visit.objects.filter(participant=OuterRef("pk"), held_on__isnull=False)
    return Subquery(held.order_by("-held_on").values("held_on")[:1])


def _dm_rows(ctx: ExportContext) -> Iterator[dict]:
    subject = _Subject(ctx)
    reported = AdverseEvent.objects.filter(participant=OuterRef("pk")).exclude(
        status=AdverseEvent.Status.DRAFT
    )
    rows = (
        REGISTRY["participants"]
        .queryset(ctx)
        .annotate(
            first_dose=Subquery(
                _live_doses().order_by("administered_at").values("administered_at")[:1]
            ),
            last_dose=Subquery(
                _live_doses().order_by("-administered_at").values("administered_at")[:1]
            ),
            died=Exists(
                reported.filter(Q(serious_death=True) | Q(outcome=AdverseEvent.Outcome.FATAL))
            ),
            last_held=_last_held(),
        )
    )
    lookups = [
        "site__number",
        "status",
        "withdrawn_on",
        "identity__sex",
        "identity__country",
        "age",
        "first_dose",
        "last_dose",
        "died",
        "last_held",
    ]
    for pk, raw, _ in REGISTRY["participants"].raw_rows(ctx, lookups, queryset=rows):
        status = raw["status"]
        enrolled = status in Participant.NUMBERED_STATUSES
        dosed = raw["first_dose"] is not None
        if status == Participant.Status.WITHDRAWN:
            ended = raw["withdrawn_on"]
        else:
            ended = raw["last_held"] if status == Participant.Status.COMPLETED else None
        if status == Participant.Status.SCREEN_FAILED:
            reason = "SCREEN FAILURE"
        elif not enrolled:
            reason = "NOT ASSIGNED"
        else:
            reason = "" if dosed else "ASSIGNED, NOT TREATED"
        first, last = subject.dtc(pk, raw["first_dose"]), subject.dtc(pk, raw["last_dose"])
        age = capped_age(raw["age"])
        yield {
            **subject.head("DM", pk),
            "SUBJID": ctx.deidentifier.pseudonym(pk),
            "RFSTDTC": first,
            "RFENDTC": last,
            "RFXSTDTC": first,
            "RFXENDTC": last,
            "RFPENDTC": subject.dtc(pk, ended),
            "DTHFL": "Y" if raw["died"] else "",
            "SITEID": raw["site__number"],
            "AGE": age,
            "AGEU": "YEARS" if age is not None else "",
            "SEX": SEX_OF.get(raw["identity__sex"], "U"),
            "ARMCD": ARMCD_BLINDED if enrolled else "",
            "ARM": ARM_BLINDED if enrolled else "",
            "ACTARMCD": ARMCD_BLINDED if enrolled and dosed else "",
            "ACTARM": ARM_BLINDED if enrolled and dosed else "",
            "ARMNRS": reason,
            "COUNTRY": country_code(raw["identity__country"]),
        }


def _sv_rows(ctx: ExportContext) -> Iterator[dict]:
    subject = _Subject(ctx)
    visits = REGISTRY["visits"]
    held = visits.queryset(ctx).filter(status=Visit.Status.HELD)
    for pk, raw, _ in visits.raw_rows(ctx, ["sequence", "code", "held_on"], queryset=held):
        day = subject.dy(pk, raw["held_on"])
        yield {
            **subject.head("SV", pk),
            "VISITNUM": raw["sequence"],
            "VISIT": schedule.label(raw["code"]),
            "SVSTDTC": subject.dtc(pk, raw["held_on"]),
            "SVENDTC": subject.dtc(pk, raw["held_on"]),
            "SVSTDY": day,
            "SVENDY": day,
        }


_SESSION_VISIT = ["session__visit__sequence", "session__visit__code"]


def _visit_of(raw: dict) -> dict:
    return {
        "VISITNUM": raw["session__visit__sequence"],
        "VISIT": schedule.label(raw["session__visit__code"]),
    }


def _ex_rows(ctx: ExportContext) -> Iterator[dict]:
    subject = _Subject(ctx)
    lookups = ["kind", "dose_mg", "administered_at", *_SESSION_VISIT]
    for pk, raw, _ in REGISTRY["doses"].raw_rows(ctx, lookups):
        at, day = subject.dtc(pk, raw["administered_at"]), subject.dy(pk, raw["administered_at"])
        yield {
            **subject.head("EX", pk),
            "EXSEQ": subject.seq(pk),
            "EXTRT": EXTRT_BLINDED,
            "EXCAT": raw["kind"].upper(),
            "EXDOSE": raw["dose_mg"],
            "EXDOSU": "mg",
            "EXDOSFRM": "CAPSULE",
            "EXROUTE": "ORAL",
            **_visit_of(raw),
            "EPOCH": "TREATMENT",
            "EXSTDTC": at,
            "EXENDTC": at,
            "EXSTDY": day,
            "EXENDY": day,
        }


def _vs_rows(ctx: ExportContext) -> Iterator[dict]:
    subject = _Subject(ctx)
    dataset = REGISTRY["vital_signs"]
    rows = dataset.queryset(ctx).annotate(reference=initial_dose_at("session"))
    names = [m.name for m in VITAL_SIGNS]
    lookups = [*names, "measured_at", "elapsed", "reference", *_SESSION_VISIT]
    for pk, raw, _ in dataset.raw_rows(ctx, lookups, queryset=rows):
        minutes = whole_minutes(raw["elapsed"])
        shared = {
            **_visit_of(raw),
            "EPOCH": "TREATMENT",
            "VSDTC": subject.dtc(pk, raw["measured_at"]),
            "VSDY": subject.dy(pk, raw["measured_at"]),
            "VSTPT": time_point(minutes),
            "VSTPTNUM": minutes,
            "VSELTM": iso_duration(minutes),
            "VSTPTREF": TPTREF if minutes is not None else "",
            "VSRFTDTC": subject.dtc(pk, raw["reference"]),
        }
        for measurement in VITAL_SIGNS:
            value = raw[measurement.name]
            if value is None:
                continue
            unit = VS_UNITS[measurement.unit]
            yield {
                **subject.head("VS", pk),
                "VSSEQ": subject.seq(pk),
                "VSTESTCD": measurement.vstestcd,
                "VSTEST": measurement.vstest,
                "VSORRES": str(value),
                "VSORRESU": unit,
                "VSSTRESC": str(value),
                "VSSTRESN": float(value),
                "VSSTRESU": unit,
                **shared,
            }


def _ae_rows(ctx: ExportContext) -> Iterator[dict]:
    subject = _Subject(ctx)
    flags = [field for field, _ in SERIOUSNESS.values()]
    lookups = [
        "sequence",
        "verbatim_term",
        "onset_at",
        "onset_date_only",
        "ended_at",
        "ongoing",
        "severity_grade",
        "causality",
        "action_taken",
        "outcome",
        "dosing_session_id",
        "review__meddra_llt_code",
        "review__meddra_pt_code",
        "review__meddra_pt_term",
        "review__meddra_llt_term",
        *flags,
    ]
    dataset = REGISTRY["adverse_events"]
    for pk, raw, identity in dataset.raw_rows(ctx, lookups, identity=True):
        onset = raw["onset_at"]
        start = subject.dtc(pk, onset)
        if raw["onset_date_only"]:
            start = start[:10]
        grade = raw["severity_grade"]
        yield {
            **subject.head("AE", pk),
            "AESEQ": raw["sequence"],
            "AETERM": ascii_text(without_identity(raw["verbatim_term"], identity)),
            "AELLT": ascii_text(without_identity(raw["review__meddra_llt_term"] or "", identity)),
            "AELLTCD": _code_number(raw["review__meddra_llt_code"]),
            "AEDECOD": ascii_text(without_identity(raw["review__meddra_pt_term"] or "", identity)),
            "AEPTCD": _code_number(raw["review__meddra_pt_code"]),
            "AESER": _yn(any(raw[field] for field in flags)),
            "AEACN": ACTION_OF.get(raw["action_taken"], ""),
            "AEREL": RELATION_OF.get(raw["causality"], ""),
            "AEOUT": OUTCOME_OF.get(raw["outcome"], ""),
            **{name: _yn(raw[field]) for name, (field, _) in SERIOUSNESS.items()},
            "AETOXGR": str(grade) if grade is not None else "",
            "EPOCH": "TREATMENT" if (subject.dy(pk, onset) or 0) >= 1 else "SCREENING",
            "AESTDTC": start,
            "AEENDTC": subject.dtc(pk, raw["ended_at"]),
            "AESTDY": subject.dy(pk, onset),
            "AEENDY": subject.dy(pk, raw["ended_at"]),
            "AEENRF": "ONGOING" if raw["ongoing"] else "",
        }


def _ds_rows(ctx: ExportContext) -> Iterator[dict]:
    subject = _Subject(ctx)
    dataset = REGISTRY["participants"]
    latest_screening = ScreeningAttempt.objects.filter(participant=OuterRef("pk")).order_by(
        "-number"
    )
    rows = (
        dataset.queryset(ctx)
        .filter(
            status__in=[
                Participant.Status.SCREEN_FAILED,
                Participant.Status.COMPLETED,
                Participant.Status.WITHDRAWN,
            ]
        )
        .annotate(
            screened_on=Subquery(latest_screening.values("screened_on")[:1]),
            last_held=_last_held(),
        )
    )
    lookups = ["status", "withdrawn_on", "withdrawal_category", "screened_on", "last_held"]
    for pk, raw, _ in dataset.raw_rows(ctx, lookups, queryset=rows):
        match raw["status"]:
            case Participant.Status.SCREEN_FAILED:
                term, epoch, day = "SCREEN FAILURE", "SCREENING", raw["screened_on"]
            case Participant.Status.COMPLETED:
                term, epoch, day = "COMPLETED", "TREATMENT", raw["last_held"]
            case _:
                term = WITHDRAWAL_OF[raw["withdrawal_category"]]
                epoch, day = "TREATMENT", raw["withdrawn_on"]
        yield {
            **subject.head("DS", pk),
            "DSSEQ": subject.seq(pk),
            "DSTERM": term,
            "DSDECOD": term,
            "DSCAT": "DISPOSITION EVENT",
            "EPOCH": epoch,
            "DSSTDTC": subject.dtc(pk, day),
            "DSSTDY": subject.dy(pk, day),
        }


ROWS: dict[str, Callable[[ExportContext], Iterator[dict]]] = {
    "DM": _dm_rows,
    "SV": _sv_rows,
    "EX": _ex_rows,
    "VS": _vs_rows,
    "AE": _ae_rows,
    "DS": _ds_rows,
}


def domain_rows(name: str, ctx: ExportContext) -> Iterator[tuple]:
    """The rows of the domain `name` in the export `ctx`, as tuples in its variables' order."""
    names = [variable.name for variable in DOMAINS[name].variables]
    for row in ROWS[name](ctx):
        yield tuple(row.get(variable) for variable in names)


def domains_for(datasets) -> list[str]:
    """The SDTM domains an export of `datasets` writes: each made from one of them, and DM
    whenever any is written."""
    chosen = set(datasets)
    names = [name for name, domain in DOMAINS.items() if chosen & set(domain.sources)]
    if names and "DM" not in names:
        names.insert(0, "DM")
    return names

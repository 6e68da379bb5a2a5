"""An adverse event as the CIOMS I form says it: the printable SAE report (DESIGN.md).

The form's boxes, numbered as on the form, are filled from the event, its dosing session, its
signed reports and the medical monitor's review. The participant is named by the study ID only:
the date of birth, the sex and the age live with the identity, which never leaves the site, and
are written as withheld. The free texts are printed with every identifying string of the
participant redacted, whoever prints the form: the report is made to leave the site. Times are
those of the participant's site, written day-month-year.
"""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from records import measurements
from records.redaction import redact
from safety.models import AdverseEvent, AdverseEventReview

WITHHELD = "Withheld (identity is kept at the site)"
NOT_RECORDED = "Not recorded in this system"
UNKNOWN = "Unknown (not recorded)"
NOT_ANSWERED = "Not answered"
DRAFT = "DRAFT — not submitted"
REFUSED = "The CIOMS report carries the free text of the event, which your role does not read."

SUSPECT_DRUG = "MDMA (midomafetamine), investigational product (blinded)"
ROUTE = "Oral"
INDICATION = "Post-traumatic stress disorder (PTSD)"

# Boxes 8-12 as the form words them, with the two further criteria of ICH E2A: (field, label).
SERIOUSNESS_BOXES = (
    ("serious_death", "Patient died"),
    ("serious_hospitalisation", "Involved or prolonged inpatient hospitalisation"),
    ("serious_disability", "Involved persistent or significant disability or incapacity"),
    ("serious_life_threatening", "Life threatening"),
    ("serious_congenital_anomaly", "Congenital anomaly or birth defect"),
    ("serious_other_important", "Other important medical event"),
)
REPORT_SOURCES = ("Study", "Literature", "Health professional", "Other")


@dataclass(frozen=True)
class Check:
    """A check box of the form: ticked (True), left empty (False), or not answered (None)."""

    label: str
    answer: bool | None


@dataclass(frozen=True)
class Box:
    """One box of the form: its number and label as printed, and what is written in it (lines,
    day/month/year parts, or check boxes). `span`: its width, in twelfths of the row."""

    number: str
    label: str
    lines: tuple[str, ...] = ()
    parts: tuple[tuple[str, str], ...] = ()
    checks: tuple[Check, ...] = ()
    span: int = 12


@dataclass(frozen=True)
class Section:
    title: str
    boxes: tuple[Box, ...]


@dataclass(frozen=True)
class CiomsReport:
    study_id: str
    control_number: str
    draft: bool
    sections: tuple[Section, ...] = field(default=())

    @property
    def draft_notice(self) -> str:
        return DRAFT if self.draft else ""

    @property
    def filename(self) -> str:
        return f"CIOMS-{self.control_number}{'-DRAFT' if self.draft else ''}.pdf"


def _box(number: str, label: str, *lines: str, span: int = 12, **kwargs) -> Box:
    return Box(number, label, lines=tuple(line for line in lines if line), span=span, **kwargs)


class _Dates:
    """Times written in the zone of the participant's site."""

    def __init__(self, site):
        self.zone = site.zoneinfo

    def local(self, value: datetime.datetime) -> datetime.datetime:
        return timezone.localtime(value, self.zone)

    def day(self, value: datetime.datetime | None, empty: str = "—") -> str:
        return self.local(value).strftime("%d %b %Y") if value else empty

    def moment(self, value: datetime.datetime | None, empty: str = "—") -> str:
        return self.local(value).strftime("%d %b %Y %H:%M") if value else empty


def _reading_values(reading) -> str:
    values = [
        f"{m.label} {getattr(reading, m.name)} {m.unit}"
        for m in measurements.READING
        if getattr(reading, m.name) is not None
    ]
    return ", ".join(values)


def _reaction(ae: AdverseEvent, dates: _Dates, text) -> Section:
    onset = dates.local(ae.onset_at)
    described = [
        f"Verbatim term: {text(ae.verbatim_term)}",
        text(ae.description),
        f"Onset: {dates.day(ae.onset_at)} (time not known)"
        if ae.onset_date_only
        else f"Onset: {dates.moment(ae.onset_at)}",
        "End: ongoing" if ae.ongoing else f"End: {dates.moment(ae.ended_at, 'not recorded')}",
        f"Site's awareness: {dates.moment(ae.aware_at)}",
        f"Treatment given: {text(ae.treatment)}" if ae.treatment else "",
    ]
    if ae.special_interest:
        described.append("Adverse event of special interest: " + "; ".join(ae.special_interest))
    reading = ae.source_reading
    if reading is not None:
        struck = " (struck through as entered in error)" if reading.is_voided else ""
        described.append(
            f"Relevant tests: vital signs at {dates.moment(reading.measured_at)}: "
            f"{_reading_values(reading)}{struck}"
        )
    else:
        described.append("Relevant tests: none linked to this event")
    return Section(
        "I. Reaction information",
        (
            _box("1", "Patient initials (first, last): study ID", ae.participant.label, span=3),
            _box("1a", "Country", span=1),
            _box("2", "Date of birth", WITHHELD, span=2),
            _box("2a", "Age", WITHHELD, span=2),
            _box("3", "Sex", WITHHELD, span=2),
            _box(
                "4-6",
                "Reaction onset",
                "" if ae.onset_date_only else onset.strftime("%H:%M"),
                parts=(
                    ("Day", onset.strftime("%d")),
                    ("Month", onset.strftime("%b")),
                    ("Year", onset.strftime("%Y")),
                ),
                span=2,
            ),
            _box(
                "7+13",
                "Describe reaction(s) (including relevant tests and laboratory data)",
                *described,
                span=8,
            ),
            _box(
                "8-12",
                "Check all appropriate to adverse reaction",
                checks=tuple(Check(label, getattr(ae, name)) for name, label in SERIOUSNESS_BOXES),
                span=4,
            ),
        ),
    )


def _doses(ae: AdverseEvent) -> list:
    session = ae.dosing_session
    if session is None:
        return []
    return [a for a in session.administrations.all() if not a.is_voided]


def _dechallenge(ae: AdverseEvent) -> str:
    """Box 20: whether the reaction abated once the product was stopped is not recorded; where
    the product was not stopped for it, the question does not apply."""
    if ae.action_taken in ("", AdverseEvent.ActionTaken.DISCONTINUED):
        return UNKNOWN
    return f"Not applicable (action taken with the product: {ae.get_action_taken_display()})"


def _suspect_drug(ae: AdverseEvent, dates: _Dates) -> Section:
    doses = _doses(ae)
    given = [
        f"{dose.get_kind_display()}: {dose.get_dose_mg_display()}, kit {dose.kit_number}, "
        f"{dates.moment(dose.administered_at)}"
        for dose in doses
    ]
    if ae.dosing_session is None:
        none_given = "No dosing session is linked to this event"
    else:
        none_given = f"No dose recorded in the dosing session ({ae.dosing_session.visit.label})"
    if doses:
        first, last = doses[0].administered_at, doses[-1].administered_at
        total = sum(dose.dose_mg for dose in doses)
        daily = (
            f"{total} mg on {dates.day(first)} ("
            + " + ".join(f"{dose.dose_mg} mg" for dose in doses)
            + ")"
        )
        therapy_dates = f"From {dates.day(first)} to {dates.day(last)}"
        days = (dates.local(last).date() - dates.local(first).date()).days + 1
        duration = f"{days} day{'s' if days > 1 else ''} (one dosing session)"
    else:
        daily = therapy_dates = duration = none_given
    return Section(
        "II. Suspect drug(s) information",
        (
            _box("14", "Suspect drug(s) (include generic name)", SUSPECT_DRUG, *given, span=8),
            _box(
                "20",
                "Did reaction abate after stopping drug?",
                _dechallenge(ae),
                span=4,
            ),
            _box("15", "Daily dose(s)", daily, span=4),
            _box("16", "Route(s) of administration", ROUTE, span=4),
            _box(
                "21",
                "Did reaction reappear after reintroduction?",
                UNKNOWN,
                span=4,
            ),
            _box("17", "Indication(s) for use", INDICATION, span=4),
            _box("18", "Therapy dates (from/to)", therapy_dates, span=4),
            _box("19", "Therapy duration", duration, span=4),
        ),
    )


def _history() -> Section:
    return Section(
        "III. Concomitant drug(s) and history",
        (
            _box(
                "22",
                "Concomitant drug(s) and dates of administration (exclude those used to treat "
                "reaction)",
                NOT_RECORDED,
            ),
            _box(
                "23",
                "Other relevant history (e.g. diagnostics, allergies, pregnancy with last month "
                "of period, etc.)",
                NOT_RECORDED,
            ),
        ),
    )


def _manufacturer(ae: AdverseEvent, dates: _Dates, control_number: str) -> Section:
    study = ae.participant.site.study
    reports = ae.signed_reports
    latest = reports[-1] if reports else None
    follow_up = latest is not None and latest.number > 0
    about = [f"{study.name} ({study.code})"]
    if study.protocol_number:
        about.append(f"Protocol {study.protocol_number}")
    if study.registry_id:
        about.append(f"Registry {study.registry_id}")
    return Section(
        "IV. Manufacturer information",
        (
            _box("24a", "Name and address of manufacturer: the sponsor's study", *about, span=8),
            _box("24b", "Mfr control no.", control_number, span=4),
            _box(
                "24c",
                "Date received by manufacturer",
                dates.day(ae.submitted_at, "Not submitted"),
                span=4,
            ),
            _box(
                "24d",
                "Report source",
                checks=tuple(Check(source, source == "Study") for source in REPORT_SOURCES),
                span=4,
            ),
            _box(
                "25",
                "Date of this report",
                dates.day(latest.signed_at if latest else None, "Not submitted"),
                span=2,
            ),
            _box(
                "25a",
                "Report type",
                checks=(
                    Check("Initial", latest is not None and not follow_up),
                    Check(f"Follow-up {latest.number}" if follow_up else "Follow-up", follow_up),
                ),
                span=2,
            ),
        ),
    )


def _answer(value: bool | None, yes: str, no: str) -> str:
    return NOT_ANSWERED if value is None else (yes if value else no)


def _review(ae: AdverseEvent) -> AdverseEventReview | None:
    try:
        review = ae.review
    except AdverseEventReview.DoesNotExist:
        return None
    return review if review.assessed_at else None


def _assessments(ae: AdverseEvent, dates: _Dates) -> Section:
    investigator = [
        f"Causality to the investigational product: {ae.get_causality_display() or NOT_ANSWERED}",
        f"Related to the psychotherapy: {_answer(ae.related_psychotherapy, 'yes', 'no')}",
        f"Related to the overnight stay: {_answer(ae.related_overnight_stay, 'yes', 'no')}",
        f"Severity: {ae.get_severity_grade_display() or NOT_ANSWERED}",
        f"Action taken with the product: {ae.get_action_taken_display() or NOT_ANSWERED}",
        f"Outcome: {ae.get_outcome_display() or NOT_ANSWERED}",
        *(
            f"{report.label}{' (final)' if report.final else ''} signed by "
            f"{report.signed_by.printed_name}, {dates.moment(report.signed_at)}"
            for report in ae.signed_reports
        ),
    ]
    review = _review(ae)
    if review is None:
        sponsor = ["Not yet assessed by the sponsor's medical monitor"]
    else:
        rsi = review.reference_safety_information
        expected = _answer(review.expected, "expected", "unexpected")
        sponsor = [
            "Causality to the investigational product: "
            + (review.get_sponsor_causality_display() or NOT_ANSWERED),
            f"Expectedness: {expected}"
            + (f" (reference safety information {rsi.version})" if rsi else ""),
            (
                f"MedDRA {review.meddra_version}: PT {review.meddra_pt_code} "
                f"{review.meddra_pt_term}"
                + (
                    f", LLT {review.meddra_llt_code} {review.meddra_llt_term}"
                    if review.meddra_llt_code
                    else ""
                )
            )
            if review.is_coded
            else "MedDRA coding: not yet coded",
            f"Review: {review.get_state_display()}, assessed {dates.moment(review.assessed_at)}",
        ]
    return Section(
        "V. Assessments (continuation of box 7+13)",
        (
            _box("V.1", "Site investigator", *investigator, span=6),
            _box("V.2", "Sponsor (medical monitor)", *sponsor, span=6),
        ),
    )


def cioms_report(ae: AdverseEvent) -> CiomsReport:
    """The CIOMS I form of `ae`, as loaded by selectors.adverse_event_detail (its reports read,
    in the user's scope)."""
    participant = ae.participant
    strings = participant.identifying_strings()

    def text(value: str) -> str:
        return redact(value, strings)

    dates = _Dates(participant.site)
    control_number = f"{participant.site.study.code}-AE{ae.pk}"
    return CiomsReport(
        study_id=participant.label,
        control_number=control_number,
        draft=ae.is_draft,
        sections=(
            _reaction(ae, dates, text),
            _suspect_drug(ae, dates),
            _history(),
            _manufacturer(ae, dates, control_number),
            _assessments(ae, dates),
        ),
    )

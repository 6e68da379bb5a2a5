"""The eligibility engine: criteria plus measurements and answers in, decision and reasons out.

Pure Python, no database: the models turn their rows into `CriterionSpec` and `Measurements`, and
tests exercise every boundary directly. A criterion's *condition* is either computed from a
measurement (`caps5_total >= 35`) or answered yes/no by staff. An inclusion criterion passes when
its condition holds; an exclusion criterion passes when it does not.
"""

from __future__ import annotations

import datetime
import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import TextChoices

from records.measurements import PregnancyTest


class Kind(TextChoices):
    INCLUSION = "inclusion", "Inclusion"
    EXCLUSION = "exclusion", "Exclusion"


class Measurement(TextChoices):
    """What a computed criterion is computed from."""

    AGE_YEARS = "age_years", "Age on the day of screening (years)"
    PTSD_DURATION_MONTHS = "ptsd_duration_months", "PTSD duration (months)"
    CAPS5_TOTAL = "caps5_total", "CAPS-5 total severity"
    SYSTOLIC_BP = "systolic_bp", "Systolic blood pressure (mmHg)"
    DIASTOLIC_BP = "diastolic_bp", "Diastolic blood pressure (mmHg)"
    PULSE = "pulse", "Pulse (beats/min)"
    QTC_MS = "qtc_ms", "QTc (ms)"
    CSSRS_IDEATION = "cssrs_ideation", "C-SSRS suicidal ideation level (0-5)"
    PREGNANCY_TEST_POSITIVE = "pregnancy_test_positive", "Pregnancy test positive (1) or not (0)"


class Operator(TextChoices):
    GE = ">=", "at least (>=)"
    GT = ">", "above (>)"
    LE = "<=", "at most (<=)"
    LT = "<", "below (<)"
    EQ = "==", "equal to (=)"


_COMPARE = {
    Operator.GE: operator.ge,
    Operator.GT: operator.gt,
    Operator.LE: operator.le,
    Operator.LT: operator.lt,
    Operator.EQ: operator.eq,
}


class Outcome(TextChoices):
    MET = "met", "Met"
    NOT_MET = "not_met", "Not met"
    MISSING = "missing", "Missing"


class Decision(TextChoices):
    ELIGIBLE = "eligible", "Eligible"
    INELIGIBLE = "ineligible", "Not eligible"
    INCOMPLETE = "incomplete", "Incomplete"


class InconsistentDataError(ValueError):
    """The measurements contradict each other; no decision can be taken from them."""


@dataclass(frozen=True)
class CriterionSpec:
    code: str
    text: str
    kind: str
    measurement: str = ""
    operator: str = ""
    bound: Decimal | None = None

    def __post_init__(self):
        if self.kind not in Kind.values:
            raise ValueError(f"{self.code}: kind must be inclusion or exclusion.")
        computed = (bool(self.measurement), bool(self.operator), self.bound is not None)
        if any(computed) and not all(computed):
            raise ValueError(
                f"{self.code}: a computed criterion needs measurement, operator and bound."
            )
        if self.measurement and self.measurement not in Measurement.values:
            raise ValueError(f"{self.code}: unknown measurement {self.measurement!r}.")
        if self.operator and self.operator not in Operator.values:
            raise ValueError(f"{self.code}: unknown operator {self.operator!r}.")

    @property
    def is_computed(self) -> bool:
        return bool(self.measurement)

    @property
    def rule(self) -> str:
        if not self.is_computed:
            return "answered yes/no"
        return f"{Measurement(self.measurement).label} {self.operator} {_plain(self.bound)}"


@dataclass(frozen=True)
class Measurements:
    """The screening assessments. None means not (yet) measured."""

    screened_on: datetime.date
    date_of_birth: datetime.date | None = None
    ptsd_duration_months: int | None = None
    caps5_total: int | None = None
    systolic_bp: int | None = None
    diastolic_bp: int | None = None
    pulse: int | None = None
    qtc_ms: int | None = None
    cssrs_ideation: int | None = None
    pregnancy_test: str | None = None


# The assessments that are counts or scores: none of them can be negative.
COUNTED_MEASUREMENTS = (
    "ptsd_duration_months",
    "caps5_total",
    "systolic_bp",
    "diastolic_bp",
    "pulse",
    "qtc_ms",
    "cssrs_ideation",
)


@dataclass(frozen=True)
class CriterionResult:
    code: str
    text: str
    kind: str
    computed: bool
    rule: str
    value: str | None
    condition: bool | None
    outcome: str
    note: str = ""

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "text": self.text,
            "kind": self.kind,
            "computed": self.computed,
            "rule": self.rule,
            "value": self.value,
            "condition": self.condition,
            "outcome": self.outcome,
            "note": self.note,
        }


@dataclass(frozen=True)
class EligibilityResult:
    decision: str
    results: tuple[CriterionResult, ...] = field(default_factory=tuple)

    @property
    def eligible(self) -> bool:
        return self.decision == Decision.ELIGIBLE

    @property
    def failed(self) -> tuple[CriterionResult, ...]:
        return tuple(r for r in self.results if r.outcome == Outcome.NOT_MET)

    @property
    def missing(self) -> tuple[CriterionResult, ...]:
        return tuple(r for r in self.results if r.outcome == Outcome.MISSING)


BORN_AFTER_SCREENING = "The date of birth is after the day of screening."


def age_on(date_of_birth: datetime.date, on: datetime.date) -> int:
    """Completed years on `on`: the birthday itself counts (18 on the 18th birthday).

    Someone born on 29 February turns a year older on 1 March in common years.
    """
    if date_of_birth > on:
        raise InconsistentDataError(BORN_AFTER_SCREENING)
    had_birthday = (on.month, on.day) >= (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - (0 if had_birthday else 1)


def check_consistency(m: Measurements) -> None:
    """Refuse measurements that cannot all be true at once."""
    if m.systolic_bp is not None and m.diastolic_bp is not None and m.diastolic_bp >= m.systolic_bp:
        raise InconsistentDataError(
            f"Diastolic pressure ({m.diastolic_bp}) must be below systolic ({m.systolic_bp})."
        )
    for name in COUNTED_MEASUREMENTS:
        value = getattr(m, name)
        if value is not None and value < 0:
            raise InconsistentDataError(f"{name} cannot be negative.")
    if m.caps5_total is not None and m.caps5_total > 80:
        raise InconsistentDataError("CAPS-5 total severity is at most 80.")
    if m.cssrs_ideation is not None and m.cssrs_ideation > 5:
        raise InconsistentDataError("The C-SSRS ideation level is 0 to 5.")
    if m.pregnancy_test is not None and m.pregnancy_test not in PregnancyTest.values:
        raise InconsistentDataError(f"Unknown pregnancy test result {m.pregnancy_test!r}.")
    if m.date_of_birth is not None:
        age = age_on(m.date_of_birth, m.screened_on)
        if age > 120:
            raise InconsistentDataError(
                "The date of birth is more than 120 years before screening."
            )
        if m.ptsd_duration_months is not None and m.ptsd_duration_months > age * 12 + 11:
            raise InconsistentDataError("PTSD cannot have lasted longer than the person has lived.")


def derive_values(m: Measurements) -> dict[str, Decimal | None]:
    """Each measurement a criterion can use, computed from the assessments."""
    check_consistency(m)

    def dec(value):
        return None if value is None else Decimal(value)

    pregnancy = None
    if m.pregnancy_test is not None:
        pregnancy = Decimal(1 if m.pregnancy_test == PregnancyTest.POSITIVE else 0)
    return {
        Measurement.AGE_YEARS: (
            None if m.date_of_birth is None else Decimal(age_on(m.date_of_birth, m.screened_on))
        ),
        Measurement.PTSD_DURATION_MONTHS: dec(m.ptsd_duration_months),
        Measurement.CAPS5_TOTAL: dec(m.caps5_total),
        Measurement.SYSTOLIC_BP: dec(m.systolic_bp),
        Measurement.DIASTOLIC_BP: dec(m.diastolic_bp),
        Measurement.PULSE: dec(m.pulse),
        Measurement.QTC_MS: dec(m.qtc_ms),
        Measurement.CSSRS_IDEATION: dec(m.cssrs_ideation),
        Measurement.PREGNANCY_TEST_POSITIVE: pregnancy,
    }


def _plain(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format(value.normalize(), "f") if value == value.to_integral() else str(value)


def _outcome(kind: str, condition: bool | None) -> str:
    if condition is None:
        return Outcome.MISSING
    passes = condition if kind == Kind.INCLUSION else not condition
    return Outcome.MET if passes else Outcome.NOT_MET


def evaluate(
    criteria: Iterable[CriterionSpec],
    measurements: Measurements,
    answers: Mapping[str, bool | None] | None = None,
    notes: Mapping[str, str] | None = None,
) -> EligibilityResult:
    """Decide eligibility and give every criterion's outcome.

    Eligible only when every criterion is met; not eligible as soon as one is not met; otherwise
    incomplete (something is missing). Raises InconsistentDataError for contradictory input.
    """
    answers = answers or {}
    notes = notes or {}
    values = derive_values(measurements)
    results = []
    for spec in criteria:
        if spec.is_computed:
            value = values[spec.measurement]
            condition = None if value is None else bool(_COMPARE[spec.operator](value, spec.bound))
            shown = None if value is None else _plain(value)
        else:
            condition = answers.get(spec.code)
            shown = None if condition is None else ("yes" if condition else "no")
        results.append(
            CriterionResult(
                code=spec.code,
                text=spec.text,
                kind=spec.kind,
                computed=spec.is_computed,
                rule=spec.rule,
                value=shown,
                condition=condition,
                outcome=_outcome(spec.kind, condition),
                note=notes.get(spec.code, ""),
            )
        )
    if any(r.outcome == Outcome.NOT_MET for r in results):
        decision = Decision.INELIGIBLE
    elif any(r.outcome == Outcome.MISSING for r in results):
        decision = Decision.INCOMPLETE
    else:
        decision = Decision.ELIGIBLE
    return EligibilityResult(decision=decision, results=tuple(results))

"""The eligibility engine on its own: no database, every boundary of the published criteria."""

import datetime
import importlib
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from screening.eligibility import (
    CriterionSpec,
    Decision,
    InconsistentDataError,
    Measurements,
    Outcome,
    age_on,
    evaluate,
)

seed = importlib.import_module("screening.migrations.0002_seed_published_criteria")

SCREENED_ON = datetime.date(2026, 6, 1)
ADULT = datetime.date(1985, 3, 14)


def published(caps5_threshold: int) -> list[CriterionSpec]:
    return [
        CriterionSpec(
            code=code,
            text=text,
            kind=kind,
            measurement=measurement,
            operator=op,
            bound=None if bound is None else Decimal(bound),
        )
        for code, kind, text, measurement, op, bound in seed.criteria(caps5_threshold)
    ]


MAPP1 = published(35)
MAPP2 = published(28)


def good_answers(criteria) -> dict[str, bool]:
    return {c.code: c.kind == "inclusion" for c in criteria if not c.is_computed}


def measurements(**overrides) -> Measurements:
    values = {
        "screened_on": SCREENED_ON,
        "date_of_birth": ADULT,
        "ptsd_duration_months": 24,
        "caps5_total": 40,
        "systolic_bp": 122,
        "diastolic_bp": 78,
        "pulse": 72,
        "qtc_ms": 410,
        "cssrs_ideation": 1,
        "pregnancy_test": "negative",
    }
    values.update(overrides)
    return Measurements(**values)


def decide(criteria=MAPP1, answers=None, **overrides):
    return evaluate(criteria, measurements(**overrides), answers or good_answers(criteria))


def outcome_of(result, code: str) -> str:
    return next(r.outcome for r in result.results if r.code == code)


def test_a_candidate_meeting_every_criterion_is_eligible_and_every_criterion_is_reported():
    result = decide()
    assert result.decision == Decision.ELIGIBLE
    assert [r.code for r in result.results] == [c.code for c in MAPP1]
    assert {r.outcome for r in result.results} == {Outcome.MET}


@pytest.mark.parametrize(
    ("criteria", "score", "expected"),
    [
        (MAPP1, 34, Decision.INELIGIBLE),
        (MAPP1, 35, Decision.ELIGIBLE),
        (MAPP2, 27, Decision.INELIGIBLE),
        (MAPP2, 28, Decision.ELIGIBLE),
    ],
    ids=["MAPP1-34", "MAPP1-35", "MAPP2-27", "MAPP2-28"],
)
def test_caps5_threshold_boundary(criteria, score, expected):
    result = decide(criteria, caps5_total=score)
    assert result.decision == expected
    assert outcome_of(result, "I3") == (
        Outcome.MET if expected == Decision.ELIGIBLE else Outcome.NOT_MET
    )


@pytest.mark.parametrize(
    ("date_of_birth", "eligible"),
    [
        (datetime.date(2008, 6, 2), False),  # 18th birthday tomorrow: still 17
        (datetime.date(2008, 6, 1), True),  # 18th birthday on the day of screening
        (datetime.date(2008, 5, 31), True),  # 18 since yesterday
        (datetime.date(2009, 1, 1), False),
    ],
    ids=["17-birthday-tomorrow", "18-birthday-today", "18-since-yesterday", "17"],
)
def test_age_boundary_on_the_day_of_screening(date_of_birth, eligible):
    result = decide(date_of_birth=date_of_birth)
    assert outcome_of(result, "I1") == (Outcome.MET if eligible else Outcome.NOT_MET)
    assert result.eligible is eligible


def test_leap_day_birthday_counts_from_first_of_march_in_common_years():
    assert age_on(datetime.date(2008, 2, 29), datetime.date(2026, 2, 28)) == 17
    assert age_on(datetime.date(2008, 2, 29), datetime.date(2026, 3, 1)) == 18


@pytest.mark.parametrize(
    ("field", "ok", "too_high", "code"),
    [
        ("systolic_bp", 140, 141, "E9"),
        ("diastolic_bp", 90, 91, "E10"),
        ("qtc_ms", 450, 451, "E12"),
        ("cssrs_ideation", 3, 4, "E13"),
    ],
)
def test_exclusion_limits(field, ok, too_high, code):
    assert outcome_of(decide(**{field: ok}), code) == Outcome.MET
    failing = decide(**{field: too_high})
    assert outcome_of(failing, code) == Outcome.NOT_MET
    assert failing.decision == Decision.INELIGIBLE
    assert [r.code for r in failing.failed] == [code]


def test_ptsd_duration_boundary():
    assert outcome_of(decide(ptsd_duration_months=5), "I2") == Outcome.NOT_MET
    assert outcome_of(decide(ptsd_duration_months=6), "I2") == Outcome.MET


@pytest.mark.parametrize(
    ("test_result", "outcome"),
    [("negative", Outcome.MET), ("not_applicable", Outcome.MET), ("positive", Outcome.NOT_MET)],
)
def test_pregnancy_test(test_result, outcome):
    assert outcome_of(decide(pregnancy_test=test_result), "I4") == outcome


def test_a_yes_to_an_exclusion_criterion_excludes_and_keeps_the_note():
    answers = good_answers(MAPP1) | {"E2": True}
    result = evaluate(MAPP1, measurements(), answers, notes={"E2": "SCID-5: bipolar I"})
    assert result.decision == Decision.INELIGIBLE
    failed = result.failed[0]
    assert (failed.code, failed.value, failed.note) == ("E2", "yes", "SCID-5: bipolar I")


def test_a_no_to_an_inclusion_criterion_excludes():
    result = decide(answers=good_answers(MAPP1) | {"I8": False})
    assert [r.code for r in result.failed] == ["I8"]


def test_missing_values_make_the_decision_incomplete_and_are_listed():
    answers = good_answers(MAPP1)
    del answers["E1"]
    result = decide(answers=answers, qtc_ms=None)
    assert result.decision == Decision.INCOMPLETE
    assert {r.code for r in result.missing} == {"E1", "E12"}


def test_a_failure_outweighs_missing_values():
    result = decide(caps5_total=10, qtc_ms=None)
    assert result.decision == Decision.INELIGIBLE
    assert [r.code for r in result.failed] == ["I3"]
    assert [r.code for r in result.missing] == ["E12"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"systolic_bp": 120, "diastolic_bp": 120},
        {"systolic_bp": 110, "diastolic_bp": 130},
        {"date_of_birth": datetime.date(2026, 6, 2)},
        {"date_of_birth": datetime.date(1900, 1, 1)},
        {"caps5_total": 81},
        {"caps5_total": -1},
        {"cssrs_ideation": 6},
        {"pregnancy_test": "maybe"},
        {"date_of_birth": datetime.date(2020, 1, 1), "ptsd_duration_months": 120},
    ],
    ids=[
        "diastolic-equal",
        "diastolic-above",
        "born-after-screening",
        "over-120",
        "caps5-81",
        "caps5-negative",
        "cssrs-6",
        "pregnancy-unknown",
        "ptsd-longer-than-life",
    ],
)
def test_inconsistent_measurements_are_refused(overrides):
    with pytest.raises(InconsistentDataError):
        decide(**overrides)


def test_a_half_configured_computed_criterion_is_refused():
    with pytest.raises(ValueError, match="needs measurement"):
        CriterionSpec(code="X", text="x", kind="inclusion", measurement="caps5_total")


@given(score=st.integers(min_value=0, max_value=80), threshold=st.integers(0, 80))
def test_caps5_criterion_is_met_exactly_at_or_above_the_threshold(score, threshold):
    result = decide(published(threshold), caps5_total=score)
    assert (outcome_of(result, "I3") == Outcome.MET) is (score >= threshold)


@given(
    dob=st.dates(min_value=datetime.date(1906, 6, 2), max_value=SCREENED_ON),
)
def test_age_criterion_agrees_with_the_eighteenth_birthday(dob):
    try:
        birthday18 = dob.replace(year=dob.year + 18)
    except ValueError:  # born on 29 February
        birthday18 = datetime.date(dob.year + 18, 3, 1)
    result = decide(date_of_birth=dob, ptsd_duration_months=0)
    assert (outcome_of(result, "I1") == Outcome.MET) is (birthday18 <= SCREENED_ON)


@given(
    systolic=st.integers(50, 300),
    diastolic=st.integers(20, 200),
)
def test_blood_pressure_is_decided_or_refused_never_silently_accepted(systolic, diastolic):
    if diastolic >= systolic:
        with pytest.raises(InconsistentDataError):
            decide(systolic_bp=systolic, diastolic_bp=diastolic)
    else:
        result = decide(systolic_bp=systolic, diastolic_bp=diastolic)
        assert result.eligible is (systolic <= 140 and diastolic <= 90)

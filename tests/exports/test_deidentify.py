"""Pseudonyms, date shifts, study days, ages and the verbatim term's scrubbing."""

import datetime

from exports.deidentify import (
    Deidentifier,
    age_over_89,
    capped_age,
    study_day,
    without_identity,
)

KEY = b"a key of the tests"


def _deidentifier(**overrides) -> Deidentifier:
    return Deidentifier(
        **{"study_code": "MAPP2", "stable": False, "nonce": "n1", "key": KEY, **overrides}
    )


def test_stable_pseudonyms_are_the_same_in_every_export_of_the_study():
    first = _deidentifier(stable=True, nonce="one")
    second = _deidentifier(stable=True, nonce="two")
    assert first.pseudonym(7) == second.pseudonym(7)
    assert first.shift_days(7) == second.shift_days(7)
    assert _deidentifier(stable=True, study_code="OTHER").pseudonym(7) != first.pseudonym(7)


def test_new_pseudonyms_differ_between_exports():
    assert _deidentifier(nonce="one").pseudonym(7) != _deidentifier(nonce="two").pseudonym(7)


def test_the_date_shift_is_the_study_s_whatever_the_pseudonyms():
    """Exports with new pseudonyms, linked by their data, cannot be laid over one another to
    narrow down a participant's true dates: each moves them by the same days."""
    shifts = {
        _deidentifier(nonce=nonce, stable=stable).shift_days(7)
        for nonce, stable in (("one", False), ("two", False), ("", True))
    }
    assert len(shifts) == 1
    assert _deidentifier(study_code="OTHER").shift_days(7) != _deidentifier().shift_days(7)


def test_pseudonyms_depend_on_the_key():
    assert _deidentifier(key=b"another key").pseudonym(7) != _deidentifier().pseudonym(7)


def test_pseudonyms_of_participants_differ():
    deidentifier = _deidentifier()
    assert len({deidentifier.pseudonym(pk) for pk in range(1, 2001)}) == 2000


def test_dates_move_back_1_to_364_days():
    deidentifier = _deidentifier()
    shifts = {deidentifier.shift_days(pk) for pk in range(1, 5001)}
    assert min(shifts) >= 1 and max(shifts) <= 364
    assert len(shifts) > 300  # spread over the year, not one offset for all
    day = datetime.date(2026, 6, 1)
    assert (day - deidentifier.shift(3, day)).days == deidentifier.shift_days(3)


def test_study_day_has_no_day_zero():
    dose = datetime.date(2026, 6, 10)
    assert study_day(dose, dose) == 1
    assert study_day(datetime.date(2026, 6, 11), dose) == 2
    assert study_day(datetime.date(2026, 6, 9), dose) == -1
    assert study_day(datetime.date(2026, 5, 31), dose) == -10
    assert study_day(dose, None) is None


def test_ages_over_89_are_90_and_flagged():
    assert (capped_age(89), age_over_89(89)) == (89, False)
    assert (capped_age(90), age_over_89(90)) == (90, True)
    assert (capped_age(103), age_over_89(103)) == (90, True)
    assert (capped_age(None), age_over_89(None)) == (None, None)


def test_identity_is_removed_from_a_text_whatever_its_case_and_separators():
    values = ["Alice Ashdown", "Alice", "Ashdown", "1985-03-12", "12-03-1985", "+44 20 7946 0321"]
    text = "Nausea; ALICE ashdown rang from 020 7946 0321 (born 12/03/1985)"
    scrubbed = without_identity(text, values)
    assert scrubbed.startswith("Nausea; ")
    for value in ("alice", "ashdown", "7946", "1985"):
        assert value not in scrubbed.lower()

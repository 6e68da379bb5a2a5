"""The visit schedule as a pure function of enrolment and held dates (no database)."""

import datetime

from hypothesis import given
from hypothesis import strategies as st

from sessions_app import schedule

ENROLLED = datetime.date(2026, 6, 1)
DAY = datetime.timedelta(days=1)
CODES = [
    "P1",
    "P2",
    "P3",
    "D1",
    "I1.1",
    "I1.2",
    "I1.3",
    "D2",
    "I2.1",
    "I2.2",
    "I2.3",
    "D3",
    "I3.1",
    "I3.2",
    "I3.3",
]


def test_the_course_has_fifteen_visits_in_protocol_order():
    assert [visit.code for visit in schedule.COURSE] == CODES
    assert [visit.sequence for visit in schedule.COURSE] == list(range(1, 16))
    kinds = [visit.kind for visit in schedule.COURSE]
    assert kinds.count(schedule.PREPARATORY) == 3
    assert kinds.count(schedule.DOSING) == 3
    assert kinds.count(schedule.INTEGRATION) == 9


def test_each_integration_visit_belongs_to_the_dosing_visit_before_it():
    for visit in schedule.COURSE:
        if visit.kind == schedule.INTEGRATION:
            assert visit.dosing_code == f"D{visit.code[1]}"
            assert visit.anchor == visit.dosing_code
            assert schedule.PLAN[visit.dosing_code].sequence < visit.sequence
        else:
            assert visit.dosing_code == ""


def test_schedule_dates_from_enrolment():
    dates = schedule.schedule_dates(ENROLLED)
    assert set(dates) == set(CODES)
    targets = {code: (d.target - ENROLLED).days for code, d in dates.items()}
    assert targets == {
        "P1": 7,
        "P2": 14,
        "P3": 21,
        "D1": 28,
        "I1.1": 29,
        "I1.2": 36,
        "I1.3": 43,
        "D2": 56,
        "I2.1": 57,
        "I2.2": 64,
        "I2.3": 71,
        "D3": 84,
        "I3.1": 85,
        "I3.2": 92,
        "I3.3": 99,
    }


def test_dosing_visits_are_four_weeks_apart():
    dates = schedule.schedule_dates(ENROLLED)
    assert dates["D2"].target - dates["D1"].target == datetime.timedelta(days=28)
    assert dates["D3"].target - dates["D2"].target == datetime.timedelta(days=28)


def test_integration_visits_follow_their_dosing_visit():
    dates = schedule.schedule_dates(ENROLLED)
    for d in (1, 2, 3):
        dosing = dates[f"D{d}"].target
        # The first is the morning after the overnight stay, then a week apart.
        assert [dates[f"I{d}.{n}"].target - dosing for n in (1, 2, 3)] == [
            1 * DAY,
            8 * DAY,
            15 * DAY,
        ]
        # Even the earliest day of an integration window is after its dosing session.
        assert all(dates[f"I{d}.{n}"].window_start > dosing for n in (1, 2, 3))


def test_windows_around_the_targets():
    dates = schedule.schedule_dates(ENROLLED)
    p1, d2, i11, i22 = dates["P1"], dates["D2"], dates["I1.1"], dates["I2.2"]
    assert (p1.window_start, p1.window_end) == (p1.target - 4 * DAY, p1.target + 4 * DAY)
    assert (d2.window_start, d2.window_end) == (d2.target - 7 * DAY, d2.target + 7 * DAY)
    assert (i11.window_start, i11.window_end) == (i11.target, i11.target + DAY)
    assert (i22.window_start, i22.window_end) == (i22.target - 3 * DAY, i22.target + 3 * DAY)


def test_a_dosing_visit_held_late_moves_its_integration_visits_and_later_dosing_visits():
    planned = schedule.schedule_dates(ENROLLED)
    held_on = planned["D1"].target + 10 * DAY
    moved = schedule.schedule_dates(ENROLLED, {"D1": held_on})
    for code in ("P1", "P2", "P3", "D1"):
        assert moved[code] == planned[code], code
    assert moved["I1.1"].target == held_on + DAY
    assert moved["I1.2"].target == held_on + 8 * DAY
    assert moved["I1.3"].target == held_on + 15 * DAY
    assert moved["D2"].target == held_on + 28 * DAY
    for code in CODES[4:]:
        assert moved[code].target == planned[code].target + 10 * DAY, code
        assert moved[code].window_start == planned[code].window_start + 10 * DAY, code
        assert moved[code].window_end == planned[code].window_end + 10 * DAY, code


def test_a_dosing_visit_held_early_brings_the_following_visits_forward():
    planned = schedule.schedule_dates(ENROLLED)
    held_on = planned["D2"].target - 5 * DAY
    moved = schedule.schedule_dates(ENROLLED, {"D2": held_on})
    for code in CODES[:8]:
        assert moved[code] == planned[code], code
    for code in CODES[8:]:
        assert moved[code].target == planned[code].target - 5 * DAY, code


def test_the_held_date_of_a_visit_that_anchors_nothing_changes_nothing():
    planned = schedule.schedule_dates(ENROLLED)
    held = {"P2": planned["P2"].target + 3 * DAY, "I1.2": planned["I1.2"].target + 2 * DAY}
    assert schedule.schedule_dates(ENROLLED, held) == planned


def test_labels():
    assert schedule.label("P2") == "Preparatory 2"
    assert schedule.label("D3") == "Dosing 3"
    assert schedule.label("I2.3") == "Integration 2.3"


@given(
    enrolled_on=st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2090, 1, 1)),
    data=st.data(),
)
def test_targets_lie_in_their_windows_and_dates_follow_the_sequence(enrolled_on, data):
    """Whenever each dosing visit is held (or not) inside its window."""
    held: dict[str, datetime.date] = {}
    for code in ("D1", "D2", "D3"):
        if not data.draw(st.booleans(), label=f"{code} held"):
            continue
        window = schedule.schedule_dates(enrolled_on, held)[code]
        held[code] = data.draw(
            st.dates(min_value=window.window_start, max_value=window.window_end),
            label=f"{code} held on",
        )
    dates = schedule.schedule_dates(enrolled_on, held)

    for code, when in dates.items():
        assert when.window_start <= when.target <= when.window_end, code

    # The day each visit happens (or is planned): in the order of the course's sequence.
    days = [held.get(visit.code, dates[visit.code].target) for visit in schedule.COURSE]
    assert days == sorted(days)
    # Integration visits always come after the day their dosing session was actually held.
    for visit in schedule.COURSE:
        if visit.kind == schedule.INTEGRATION:
            dosing_day = held.get(visit.dosing_code, dates[visit.dosing_code].target)
            assert dates[visit.code].window_start > dosing_day


@given(
    enrolled_on=st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2090, 1, 1))
)
def test_unheld_targets_are_strictly_in_sequence_order(enrolled_on):
    dates = schedule.schedule_dates(enrolled_on)
    targets = [dates[visit.code].target for visit in schedule.COURSE]
    assert targets == sorted(targets)
    assert len(set(targets)) == len(targets)

"""The visit schedule of one participant's course, as a pure function of the dates that anchor it.

Preparatory sessions are anchored on enrolment. Each dosing session is anchored on the one before
(the first on enrolment), and each integration session on its dosing session. A visit that has
been held anchors the visits after it on the day it was actually held, so a dosing session held a
week late moves its integration sessions and the next dosing session with it.
"""

import datetime
from dataclasses import dataclass

PREPARATORY = "preparatory"
DOSING = "dosing"
INTEGRATION = "integration"
ENROLMENT = "ENROLMENT"


@dataclass(frozen=True)
class PlannedVisit:
    code: str  # "P1", "D2", "I2.3"
    kind: str
    kind_number: int
    anchor: str  # code of the visit (or ENROLMENT) it is timed from
    offset_days: int
    days_before: int  # the window opens this many days before the target
    days_after: int  # and closes this many days after it
    dosing_code: str = ""  # for integration sessions: their dosing session

    @property
    def sequence(self) -> int:
        return COURSE.index(self) + 1


def _course() -> list[PlannedVisit]:
    visits = [PlannedVisit(f"P{n}", PREPARATORY, n, ENROLMENT, 7 * n, 4, 4) for n in (1, 2, 3)]
    for d in (1, 2, 3):
        anchor = ENROLMENT if d == 1 else f"D{d - 1}"
        offset = 28
        visits.append(PlannedVisit(f"D{d}", DOSING, d, anchor, offset, 7, 7))
        # The first integration session is the morning after the overnight stay.
        visits.append(PlannedVisit(f"I{d}.1", INTEGRATION, 1, f"D{d}", 1, 0, 1, f"D{d}"))
        visits.append(PlannedVisit(f"I{d}.2", INTEGRATION, 2, f"D{d}", 8, 3, 3, f"D{d}"))
        visits.append(PlannedVisit(f"I{d}.3", INTEGRATION, 3, f"D{d}", 15, 3, 3, f"D{d}"))
    return visits


COURSE: list[PlannedVisit] = _course()
PLAN: dict[str, PlannedVisit] = {visit.code: visit for visit in COURSE}


@dataclass(frozen=True)
class VisitDates:
    target: datetime.date
    window_start: datetime.date
    window_end: datetime.date


def schedule_dates(
    enrolled_on: datetime.date, held: dict[str, datetime.date] | None = None
) -> dict[str, VisitDates]:
    """Target date and window of every visit of the course.

    `held` maps the codes of visits already held to the day they were held.
    """
    held = held or {}
    dates: dict[str, VisitDates] = {}
    for visit in COURSE:
        if visit.anchor == ENROLMENT:
            anchor_day = enrolled_on
        else:
            anchor_day = held.get(visit.anchor, dates[visit.anchor].target)
        target = anchor_day + datetime.timedelta(days=visit.offset_days)
        dates[visit.code] = VisitDates(
            target=target,
            window_start=target - datetime.timedelta(days=visit.days_before),
            window_end=target + datetime.timedelta(days=visit.days_after),
        )
    return dates


def label(code: str) -> str:
    visit = PLAN[code]
    if visit.kind == INTEGRATION:
        return f"Integration {visit.dosing_code[1:]}.{visit.kind_number}"
    return f"{visit.kind.capitalize()} {visit.kind_number}"

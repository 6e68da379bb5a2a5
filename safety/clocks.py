"""The reporting clocks of an adverse event (DESIGN.md, "Adverse events").

- The 24-hour clock of a serious event: from the site's awareness (as the report that made it
  serious had it: `AdverseEvent.serious_aware_at`) to the sponsor's first signed report of it
  as serious (`AdverseEvent.serious_reported_at`).
- A SUSAR's regulatory clocks, while it is one (`AdverseEventReview.susar`): day 0 is the day,
  in the site's zone, on which the sponsor first had what makes it one (`susar_since`); the
  report is due by the end of day 7 when the event is fatal or life-threatening, with its
  follow-up by the end of day 15 (8 more days), and by the end of day 15 otherwise; one found
  fatal or life-threatening after its report was recorded has its follow-up due by the end of
  day 7 from that day (`susar_fatal_since`). Recording the submission to the regulator (a
  date) stops a clock.

Each clock is a `Clock`, which says whether it runs, was met or is late, and by how much. The
functions read what the selectors fetched (`review`, `regulatory_submissions`) and make no query
of their own.
"""

import datetime
import zoneinfo
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone

# The seriousness criteria's fields, as safety.models names them (SERIOUSNESS_CRITERIA); this
# module reads only what it is given, and imports no model.
SERIOUSNESS_FIELDS = (
    "serious_death",
    "serious_life_threatening",
    "serious_hospitalisation",
    "serious_disability",
    "serious_congenital_anomaly",
    "serious_other_important",
)

SERIOUS_REPORT_HOURS = 24
# With no submission this long after the site's awareness, the site is reminded (safety.tasks).
SERIOUS_REMINDER_HOURS = 18
SUSAR_FATAL_DAYS = 7
SUSAR_FOLLOW_UP_DAYS = 8  # after the 7 days of a fatal or life-threatening SUSAR
SUSAR_OTHER_DAYS = 15
# A SUSAR's clock is "due soon" this many days before its due day ends (safety.tasks warns).
SUSAR_WARNING_DAYS = 2


def duration_label(delta: datetime.timedelta) -> str:
    """A duration as a person says it: "45 min", "5 h 20 min", "3 days 4 h"."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    return f"{minutes} min"


@dataclass(frozen=True)
class Clock:
    """One reporting clock: `name` says which, `due_at` when it ends, `stopped_at` when what
    stops it was done (None while it runs); times are aware, `zone` is the site's."""

    name: str
    started_at: datetime.datetime
    due_at: datetime.datetime
    stopped_at: datetime.datetime | None
    zone: zoneinfo.ZoneInfo
    # A clock counted in calendar days (a SUSAR's) is stopped by a date, not a time.
    by_day: bool = False

    @property
    def running(self) -> bool:
        return self.stopped_at is None

    @property
    def met(self) -> bool:
        return self.stopped_at is not None and self.stopped_at <= self.due_at

    def late(self, now: datetime.datetime | None = None) -> bool:
        if self.stopped_at is not None:
            return self.stopped_at > self.due_at
        return (now or timezone.now()) > self.due_at

    def late_by(self, now: datetime.datetime | None = None) -> datetime.timedelta:
        """How late the clock was stopped, or is now; zero when it is not late."""
        end = self.stopped_at or now or timezone.now()
        return max(end - self.due_at, datetime.timedelta(0))

    def remaining(self, now: datetime.datetime | None = None) -> datetime.timedelta:
        return self.due_at - (now or timezone.now())

    @property
    def due_local(self) -> datetime.datetime:
        return self.due_at.astimezone(self.zone)

    def state(self, now: datetime.datetime | None = None) -> str:
        """ "met", "late" (stopped after the due time), "overdue" (running past it) or
        "running"."""
        if self.stopped_at is not None:
            return "met" if self.met else "late"
        return "overdue" if self.late(now) else "running"

    def status(self, now: datetime.datetime | None = None) -> str:
        """The clock as its page says it: "met", "late by 2 h 10 min", "overdue by 3 h",
        "5 h 20 min left"."""
        state = self.state(now)
        if state == "met":
            return "met"
        if state in ("late", "overdue"):
            unit = datetime.timedelta(days=1) if self.by_day else None
            late = self.late_by(now)
            if unit is not None:
                days = -(-late // unit)  # whole days begun
                return f"{state} by {days} day{'s' if days != 1 else ''}"
            return f"{state} by {duration_label(late)}"
        return f"{duration_label(self.remaining(now))} left"


def _zone(ae) -> zoneinfo.ZoneInfo:
    return ae.participant.site.zoneinfo


def serious_follow_up(ae):
    """The follow-up waiting for the investigator's signature that makes a not yet serious event
    serious, when the caller fetched it (`ae.pending`, or `ae.waiting`: safety.selectors)."""
    report = getattr(ae, "pending", None) or next(iter(getattr(ae, "waiting", [])), None)
    if report is None or report.signed_at is not None:
        return None
    changes = report.changes
    made_serious = any(changes.get(n, {}).get("new") is True for n in SERIOUSNESS_FIELDS)
    return report if made_serious else None


def serious_clock(ae) -> Clock | None:
    """The 24-hour clock of a serious event (None when it is not, or not yet, serious): from
    the site's awareness, or, when a follow-up waiting for its signature makes it serious, from
    when the site drafted that follow-up."""
    if not ae.is_serious and ae.serious_reported_at is None:
        report = serious_follow_up(ae)
        if report is None:
            return None
        return Clock(
            name="24-hour report to the sponsor (follow-up)",
            started_at=report.drafted_at,
            due_at=report.drafted_at + datetime.timedelta(hours=SERIOUS_REPORT_HOURS),
            stopped_at=None,
            zone=_zone(ae),
        )
    started = ae.serious_aware_at or ae.aware_at
    return Clock(
        name="24-hour report to the sponsor",
        started_at=started,
        due_at=started + datetime.timedelta(hours=SERIOUS_REPORT_HOURS),
        stopped_at=ae.serious_reported_at,
        zone=_zone(ae),
    )


def _end_of_day(day: datetime.date, zone: zoneinfo.ZoneInfo) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.max, tzinfo=zone)


def _start_of_day(day: datetime.date, zone: zoneinfo.ZoneInfo) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)


def _day_of(moment: datetime.datetime, zone) -> datetime.date:
    return moment.astimezone(zone).date()


def susar_day_zero(review) -> datetime.date | None:
    if review is None or review.susar_since is None:
        return None
    return _day_of(review.susar_since, _zone(review.adverse_event))


def susar_clocks(ae, review=None, submissions=None) -> list[Clock]:
    """A SUSAR's clocks to the regulator (none when the event is not one): the report, and for
    a fatal or life-threatening SUSAR its follow-up. `review` and `submissions` default to the
    event's (fetched by the caller: `review`, `regulatory_submissions`)."""
    if review is None:
        try:
            review = ae.review
        except ObjectDoesNotExist:
            return []
    day0 = susar_day_zero(review)
    if day0 is None:
        return []
    if submissions is None:
        submissions = list(ae.regulatory_submissions.all())
    zone = _zone(ae)
    submitted = {s.kind: _start_of_day(s.submitted_on, zone) for s in submissions}
    if review.susar_fatal_since is not None:
        # Reported, then found fatal or life-threatening: 7 days for the follow-up from then.
        plan = [
            ("initial", "SUSAR report, 15 days", day0, SUSAR_OTHER_DAYS),
            (
                "follow_up",
                "SUSAR follow-up, now fatal or life-threatening, 7 days",
                _day_of(review.susar_fatal_since, zone),
                SUSAR_FATAL_DAYS,
            ),
        ]
    elif review.susar_fatal_or_life_threatening:
        plan = [
            ("initial", "SUSAR report, 7 days", day0, SUSAR_FATAL_DAYS),
            (
                "follow_up",
                "SUSAR follow-up, day 15",
                day0,
                SUSAR_FATAL_DAYS + SUSAR_FOLLOW_UP_DAYS,
            ),
        ]
    else:
        plan = [("initial", "SUSAR report, 15 days", day0, SUSAR_OTHER_DAYS)]
    found = [
        Clock(
            name=name,
            started_at=_start_of_day(start, zone),
            due_at=_end_of_day(start + datetime.timedelta(days=days), zone),
            stopped_at=submitted.get(kind),
            zone=zone,
            by_day=True,
        )
        for kind, name, start, days in plan
    ]
    # An event that is no longer a SUSAR (reassessed, or no longer serious) runs no clock; the
    # reports already made stay shown.
    return found if review.susar else [clock for clock in found if not clock.running]


def susar_due(ae, review=None, submissions=None) -> datetime.datetime | None:
    """When the SUSAR clock the event runs next ends: the earliest due of its running clocks
    (the report's, then its follow-up's); None when none runs."""
    return min((c.due_at for c in susar_clocks(ae, review, submissions) if c.running), default=None)


def clocks(ae, review=None, submissions=None) -> list[Clock]:
    """Every reporting clock of the event, the 24-hour one first."""
    serious = serious_clock(ae)
    return ([serious] if serious else []) + susar_clocks(ae, review, submissions)

"""Reads of the medical monitor: the review queue, sorted by urgency in SQL, and the study's
running reporting clocks (safety.clocks), with those that ended late.

A SUSAR's day 0 is the date of `review.susar_since` in its site's zone. SQLite knows no zones, so
the date is computed with one branch per zone of the sites in scope (Django converts each
branch's zone itself on SQLite, with `AT TIME ZONE` on PostgreSQL): exact on both. The clock a
SUSAR runs next is its report (due by the end of day 7 when fatal or life-threatening, day 15
otherwise) until the initial submission is recorded, then, for a fatal or life-threatening one,
its follow-up (day 15), or, for one found so after its report, its follow-up 7 days from then.
"""

import datetime
import zoneinfo
from dataclasses import dataclass

from django.db.models import (
    Case,
    DateField,
    DurationField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import Site, User
from accounts.selectors import user_scope
from safety.clocks import (
    SUSAR_FATAL_DAYS,
    SUSAR_FOLLOW_UP_DAYS,
    SUSAR_OTHER_DAYS,
    Clock,
    clocks,
    serious_clock,
    susar_clocks,
)
from safety.models import SERIOUS, AdverseEvent, AdverseEventReview, RegulatorySubmission
from safety.review import ASSESS_AE
from safety.selectors import SERIOUS_DUE, unreported_serious

# Clocks that ended late are listed this far back.
LATE_DAYS = 90
# Due dates are ordered as their distance from this day (a date minus a date works alike on
# SQLite and PostgreSQL; a date plus days does not).
_EPOCH = datetime.date(2000, 1, 1)
FATAL_REPORT_DAYS = SUSAR_FATAL_DAYS
FATAL_FOLLOW_UP_DAYS = SUSAR_FATAL_DAYS + SUSAR_FOLLOW_UP_DAYS


class Urgency:
    """The queue's order, most urgent first (`urgency` of each event)."""

    SUSAR_OVERDUE = 0
    SUSAR_RUNNING = 1
    SERIOUS = 2
    OTHER = 3


def _zones(site_ids) -> list[str]:
    return sorted(set(Site.objects.filter(pk__in=site_ids).values_list("time_zone", flat=True)))


def _submitted(kind: str) -> FilteredRelation:
    """The event's submission of `kind` to the regulator, joined (at most one of each kind).
    A join rather than a subquery keeps PostgreSQL's estimate low: the clock's expression is
    repeated in the order and the filters, and with a subquery in each the planner's cost of
    5,000 events crossed the threshold of JIT compilation, which then took 150 ms a page."""
    return FilteredRelation(
        "regulatory_submissions", condition=Q(regulatory_submissions__kind=kind)
    )


def with_susar_clock(queryset: QuerySet[AdverseEvent], zones: list[str]) -> QuerySet:
    """Each event with `day_zero` (the day 0 of its running SUSAR clock at its site, None when
    not a SUSAR), `clock_days` (the day that clock ends on, counted from day 0; None when none
    runs), `clock_overdue` and `clock_key` (the due date as days since an epoch, for ordering)."""
    fatal = Q(review__susar_fatal_or_life_threatening=True)
    initial = Q(initial_submission__isnull=False)
    follow_up = Q(follow_up_submission__isnull=False)
    # Found fatal or life-threatening after the report: the follow-up's clock starts then.
    upgraded = Q(review__susar_fatal_since__isnull=False)
    queryset = queryset.annotate(
        initial_submission=_submitted(RegulatorySubmission.Kind.INITIAL),
        follow_up_submission=_submitted(RegulatorySubmission.Kind.FOLLOW_UP),
        clock_since=Case(
            When(initial & upgraded, then=F("review__susar_fatal_since")),
            default=F("review__susar_since"),
        ),
        day_zero=Case(
            *(
                When(
                    participant__site__time_zone=zone,
                    then=TruncDate("clock_since", tzinfo=zoneinfo.ZoneInfo(zone)),
                )
                for zone in zones
            ),
            output_field=DateField(),
        ),
        clock_days=Case(
            When(Q(review__susar_since__isnull=True) | Q(review__susar=False), then=None),
            When(~initial & fatal, then=Value(FATAL_REPORT_DAYS)),
            When(~initial, then=Value(SUSAR_OTHER_DAYS)),
            When(upgraded & ~follow_up, then=Value(FATAL_REPORT_DAYS)),
            When(fatal & ~follow_up, then=Value(FATAL_FOLLOW_UP_DAYS)),
            default=None,
            output_field=IntegerField(),
        ),
    )
    days = sorted({FATAL_REPORT_DAYS, SUSAR_OTHER_DAYS, FATAL_FOLLOW_UP_DAYS})
    # Overdue: the site's today is past day 0 + the clock's days.
    overdue = Q(pk__in=[])
    for zone in zones:
        today = timezone.localdate(timezone=zoneinfo.ZoneInfo(zone))
        for n in days:
            overdue |= Q(
                participant__site__time_zone=zone,
                clock_days=n,
                day_zero__lt=today - datetime.timedelta(days=n),
            )
    return queryset.annotate(
        clock_overdue=Case(When(overdue, then=Value(True)), default=Value(False)),
        clock_key=Case(
            *(
                When(
                    clock_days=n,
                    then=ExpressionWrapper(
                        F("day_zero") - Value(_EPOCH - datetime.timedelta(days=n)),
                        output_field=DurationField(),
                    ),
                )
                for n in days
            ),
            default=None,
            output_field=DurationField(),
        ),
    )


def _in_scope(user: User) -> tuple[QuerySet[AdverseEvent], frozenset[int]]:
    """The events of the sites where the user reviews them, with what their clocks read, and
    those sites."""
    site_ids = user_scope(user).sites_with(ASSESS_AE)
    queryset = (
        AdverseEvent.objects.filter(participant__site_id__in=site_ids)
        .select_related("participant__site", "review")
        .prefetch_related("regulatory_submissions")
    )
    return queryset, site_ids


def review_queue(*, user: User) -> QuerySet[AdverseEvent]:
    """Submitted events of the sites where the user reviews them, most urgent first: overdue
    SUSAR clocks, then running ones by due date, then serious events, then the rest; oldest
    submission first within each."""
    queryset, site_ids = _in_scope(user)
    queryset = queryset.exclude(status=AdverseEvent.Status.DRAFT)
    return (
        with_susar_clock(queryset, _zones(site_ids))
        .annotate(
            urgency=Case(
                When(clock_overdue=True, then=Value(Urgency.SUSAR_OVERDUE)),
                When(clock_days__isnull=False, then=Value(Urgency.SUSAR_RUNNING)),
                When(SERIOUS, then=Value(Urgency.SERIOUS)),
                default=Value(Urgency.OTHER),
                output_field=IntegerField(),
            )
        )
        .order_by("urgency", F("clock_key").asc(nulls_last=True), "submitted_at", "pk")
    )


# The events the monitor has still to do something about: not yet reviewed, or a SUSAR whose
# report to the regulator is still due.
TO_DO = (
    Q(review__isnull=True)
    | ~Q(review__state=AdverseEventReview.State.REVIEWED)
    | Q(clock_days__isnull=False)
)


def waiting_for_review(queue: QuerySet[AdverseEvent]) -> QuerySet[AdverseEvent]:
    return queue.filter(TO_DO)


@dataclass(frozen=True)
class RunningClock:
    """A clock of the dashboard: the event, the clock, and who is late if it is overdue."""

    ae: AdverseEvent
    clock: Clock

    @property
    def owed_by(self) -> str:
        """Who has to stop it: the site (the 24-hour report) or the sponsor (a SUSAR's)."""
        return "the sponsor" if self.clock.by_day else "the site"


def running_clocks(*, user: User) -> list[RunningClock]:
    """Every running clock of the sites where the user reviews events, soonest due first: the
    24-hour clocks of serious events no signed report has yet brought to the sponsor (drafts, or
    a follow-up that makes an event serious, waiting for the investigator), and the SUSARs'.

    Read in two queries whatever their number; they are few in a study whose reports keep to
    their clocks, so they are ordered here, by the exact due time in the site's zone."""
    events, site_ids = _in_scope(user)
    serious = unreported_serious(events)
    susars = with_susar_clock(events, _zones(site_ids)).filter(clock_days__isnull=False)
    found = []
    for ae in serious:
        clock = serious_clock(ae)
        if clock is not None and clock.running:
            found.append(RunningClock(ae, clock))
    for ae in susars:
        found.extend(RunningClock(ae, c) for c in susar_clocks(ae) if c.running)
    return sorted(found, key=lambda item: (item.clock.due_at, item.ae.pk))


def clocks_ended_late(*, user: User) -> list[RunningClock]:
    """The clocks stopped after their due time in the last LATE_DAYS days, latest first: the
    24-hour reports that reached the sponsor late (found in SQL), and the SUSAR reports the
    regulator had late (of the few submissions of the period)."""
    events, _ = _in_scope(user)
    since = timezone.now() - datetime.timedelta(days=LATE_DAYS)
    reported_late = events.filter(
        serious_reported_at__gte=since,
        serious_reported_at__gt=SERIOUS_DUE,
    )
    submitted = events.filter(regulatory_submissions__submitted_on__gte=since.date()).distinct()
    found = [RunningClock(ae, serious_clock(ae)) for ae in reported_late]
    for ae in submitted:
        found.extend(
            RunningClock(ae, c)
            for c in susar_clocks(ae)
            if c.stopped_at is not None and c.stopped_at >= since and c.late()
        )
    return sorted(found, key=lambda item: (item.clock.stopped_at, item.ae.pk), reverse=True)


def queue_clocks(events) -> None:
    """Give each event of a page its clocks (`ae.clocks`), from what the queue fetched."""
    for ae in events:
        ae.clocks = clocks(ae)

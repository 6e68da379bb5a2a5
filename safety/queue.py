"""Reads of the medical monitor: the review queue, sorted by urgency in SQL, and the study's
running reporting clocks (safety.clocks), with those that ended late.

The clock a SUSAR runs next is its report (due by the end of day 7 when fatal or
life-threatening, day 15 otherwise, day 0 being a day at its site) until the initial submission
is recorded, then, for a fatal or life-threatening one, its follow-up. Each event's place in the
queue (`QueuePlace`: its rank, when that clock ends, when it was submitted) is kept in a table,
written with whatever moves it (safety.queue_order): the queue reads a page in that order from
an index, and only whether a clock has ended is worked out per request.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from accounts.models import User
from accounts.selectors import user_scope
from safety.clocks import Clock, clocks, serious_clock, susar_clocks
from safety.models import AdverseEvent, AdverseEventReview, QueuePlace
from safety.review import ASSESS_AE
from safety.selectors import SERIOUS_DUE, unreported_serious

# Clocks that ended late are listed this far back.
LATE_DAYS = 90


class Urgency:
    """The queue's order, most urgent first (`urgency` of each event)."""

    SUSAR_OVERDUE = 0
    SUSAR_RUNNING = 1
    SERIOUS = 2
    OTHER = 3


def with_susar_clock(queryset: QuerySet[AdverseEvent]) -> QuerySet:
    """Each event with `clock_due_at` (when the SUSAR clock it runs next ends; None when none
    runs) and `clock_overdue` (that end has passed)."""
    return queryset.annotate(clock_due_at=F("queue_place__due_at")).annotate(
        clock_overdue=Case(
            When(clock_due_at__lt=timezone.now(), then=Value(True)), default=Value(False)
        )
    )


def _in_scope(user: User) -> QuerySet[AdverseEvent]:
    """The events of the sites where the user reviews them, with what their clocks read."""
    return (
        AdverseEvent.objects.filter(participant__site_id__in=user_scope(user).sites_with(ASSESS_AE))
        .select_related("participant__site", "review")
        .prefetch_related("regulatory_submissions")
    )


def review_queue(*, user: User) -> QuerySet[AdverseEvent]:
    """Submitted events of the sites where the user reviews them, most urgent first: overdue
    SUSAR clocks, then running ones by due date, then serious events, then the rest; oldest
    submission first within each."""
    queryset = _in_scope(user)
    # Every event has its place (its save keeps it): an inner join, which lets PostgreSQL read
    # a page from the place's index rather than sort every event.
    queryset = queryset.exclude(status=AdverseEvent.Status.DRAFT).filter(
        queue_place__rank__isnull=False
    )
    return (
        with_susar_clock(queryset)
        .annotate(
            urgency=Case(
                When(clock_overdue=True, then=Value(Urgency.SUSAR_OVERDUE)),
                When(
                    queue_place__rank=QueuePlace.Rank.SUSAR_CLOCK,
                    then=Value(Urgency.SUSAR_RUNNING),
                ),
                When(queue_place__rank=QueuePlace.Rank.SERIOUS, then=Value(Urgency.SERIOUS)),
                default=Value(Urgency.OTHER),
                output_field=IntegerField(),
            )
        )
        # The index's order (an overdue clock's end is before a running one's): no sort.
        .order_by(
            "queue_place__rank",
            F("queue_place__due_at").asc(nulls_last=True),
            "queue_place__submitted_at",
            "pk",
        )
    )


# The events the monitor has still to do something about: not yet reviewed, or a SUSAR whose
# report to the regulator is still due.
TO_DO = (
    Q(review__isnull=True)
    | ~Q(review__state=AdverseEventReview.State.REVIEWED)
    | Q(clock_due_at__isnull=False)
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
    events = _in_scope(user)
    serious = unreported_serious(events)
    susars = events.filter(queue_place__due_at__isnull=False)
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
    events = _in_scope(user)
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

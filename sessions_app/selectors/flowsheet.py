"""Reads of the dosing-session flowsheet: a session, its readings, doses and observations.

Each returns what its page shows with the related rows already loaded, so that a page's query
count does not grow with the number of readings.
"""

import datetime
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from accounts.selectors import get_in_scope, user_scope
from participants.models import Participant
from records import measurements
from sessions_app.models import (
    DoseAdministration,
    DosingSession,
    Observation,
    StudySessionSettings,
    Visit,
    VitalSignReading,
)
from signatures.selectors import with_signature_state

VIEW_SESSION = "sessions_app.view_dosingsession"

# The vital signs of a reading, as the flowsheet, the alerts and their emails label them.
MEASUREMENT_LABELS = {m.name: (m.label, m.unit) for m in measurements.VITAL_SIGNS}


def elapsed_minutes(at: datetime.datetime, dose_at: datetime.datetime | None) -> int | None:
    if dose_at is None:
        return None
    return int((at - dose_at).total_seconds() // 60)


def elapsed_label(minutes: int | None) -> str:
    """Time relative to the initial dose as staff say it: "+1h30", "-0h15"."""
    if minutes is None:
        return "pre-dose"
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours}h{mins:02d}"


# What a session's pages read with it, in the same query: the participant's casebook (locked or
# not) and the study's thresholds and intervals.
SESSION_RELATED = (
    "visit__participant__site__study__session_settings",
    "visit__participant__casebook",
)


def session_get(*, user: User, pk: int) -> DosingSession:
    """One dosing session in the user's scope; any other ID is simply not found."""
    site_ids = user_scope(user).sites_with(VIEW_SESSION)
    return get_in_scope(
        DosingSession.objects.select_related(
            *SESSION_RELATED, "lead_therapist", "co_therapist"
        ).filter(visit__participant__site_id__in=site_ids),
        pk,
        missing="No such session.",
    )


@dataclass
class Flowsheet:
    session: DosingSession
    settings: StudySessionSettings
    readings: list[VitalSignReading]
    administrations: list[DoseAdministration]
    observations: list[Observation]
    initial: DoseAdministration | None = None
    supplemental: DoseAdministration | None = None
    next_due: datetime.datetime | None = None
    next_due_shortened: bool = False
    deviations: list[str] = field(default_factory=list)

    @cached_property
    def live_readings(self) -> list[VitalSignReading]:
        """The readings that count: not struck through as entered in error (the chart, the
        counts and the signing page ask for them; found once)."""
        return [r for r in self.readings if not r.is_voided]

    @property
    def flagged(self) -> int:
        """How many readings that count were over a threshold."""
        return sum(1 for r in self.live_readings if r.flags)

    @property
    def struck_readings(self) -> int:
        return len(self.readings) - len(self.live_readings)

    @property
    def timeline(self) -> list:
        """Readings, administrations and observations in time order (for print and review)."""
        items = [("reading", r.measured_at, r) for r in self.readings]
        items += [("dose", a.administered_at, a) for a in self.administrations]
        items += [("observation", o.observed_at, o) for o in self.observations]
        return sorted(items, key=lambda item: item[1])

    def chart(self) -> dict:
        """Readings as series over minutes from the initial dose, with the threshold lines.

        `supplemental` is the minute of the supplemental dose (None when none is given, or it was
        struck through as entered in error); `supplemental_window` is the study's allowed window.
        """
        points = [r for r in self.live_readings if r.elapsed is not None]

        def series(name):
            return [
                {"x": r.elapsed, "y": float(getattr(r, name))}
                for r in points
                if getattr(r, name) is not None
            ]

        supplemental = None
        if self.supplemental is not None and self.initial is not None:
            supplemental = elapsed_minutes(
                self.supplemental.administered_at, self.initial.administered_at
            )
        return {
            "series": {name: series(name) for name in measurements.READING_NAMES},
            "thresholds": {k: float(v) for k, v in self.settings.thresholds.items()},
            "supplemental": supplemental,
            "supplemental_window": {
                "earliest": self.settings.supplemental_earliest_minutes,
                "latest": self.settings.supplemental_latest_minutes,
            },
        }


def next_reading_due(
    *, session: DosingSession, readings, initial, settings_: StudySessionSettings
) -> tuple[datetime.datetime | None, bool]:
    """When the next vital signs are due, and whether the interval was shortened by a flag."""
    if session.status != DosingSession.Status.IN_PROGRESS or initial is None:
        return None, False
    vitals = [
        r
        for r in readings
        if not r.is_voided
        and r.measured_at >= initial.administered_at
        and any(getattr(r, name) is not None for name in MEASUREMENT_LABELS)
    ]
    if not vitals:
        return (
            initial.administered_at
            + datetime.timedelta(minutes=settings_.reading_interval_minutes),
            False,
        )
    last = vitals[-1]
    shortened = bool(last.flags)
    minutes = settings_.alert_interval_minutes if shortened else settings_.reading_interval_minutes
    return last.measured_at + datetime.timedelta(minutes=minutes), shortened


def flowsheet_for(*, session: DosingSession) -> Flowsheet:
    """Everything the flowsheet page shows, in a fixed number of queries."""
    readings = list(
        VitalSignReading.objects.filter(session=session)
        .select_related("recorded_by", "voided_by", "alert")
        .order_by("measured_at", "pk")
    )
    administrations = list(
        DoseAdministration.objects.filter(session=session).select_related(
            "recorded_by", "voided_by"
        )
    )
    observations = list(
        Observation.objects.filter(session=session).select_related("recorded_by", "voided_by")
    )
    settings_ = StudySessionSettings.for_study(session.visit.participant.site.study)
    # An administration struck through as entered in error stays listed, but is not a live dose.
    live = [a for a in administrations if a.voided_at is None]
    Kind = DoseAdministration.Kind
    initial = next((a for a in live if a.kind == Kind.INITIAL), None)
    supplemental = next((a for a in live if a.kind == Kind.SUPPLEMENTAL), None)
    dose_at = initial.administered_at if initial else None
    for item in (*readings, *observations):
        at = item.measured_at if isinstance(item, VitalSignReading) else item.observed_at
        item.elapsed = elapsed_minutes(at, dose_at)
        item.elapsed_label = elapsed_label(item.elapsed)
    for administration in administrations:
        administration.elapsed = elapsed_minutes(administration.administered_at, dose_at)
        administration.elapsed_label = elapsed_label(administration.elapsed)
    next_due, shortened = next_reading_due(
        session=session, readings=readings, initial=initial, settings_=settings_
    )
    deviations = []
    visit = session.visit
    if visit.is_out_of_window:
        deviations.append(
            f"Held outside its window ({visit.window_start:%d %b} to "
            f"{visit.window_end:%d %b %Y}): {visit.deviation_explanation}"
        )
    if supplemental and supplemental.deviation_reason:
        deviations.append(
            f"Supplemental dose at {supplemental.elapsed_label}, outside the "
            f"{elapsed_label(settings_.supplemental_earliest_minutes)} to "
            f"{elapsed_label(settings_.supplemental_latest_minutes)} window: "
            f"{supplemental.deviation_reason}"
        )
    return Flowsheet(
        session=session,
        settings=settings_,
        readings=readings,
        administrations=administrations,
        observations=observations,
        initial=initial,
        supplemental=supplemental,
        next_due=next_due,
        next_due_shortened=shortened,
        deviations=deviations,
    )


def sessions_at_hand(*, user: User, limit: int = 20) -> list[DosingSession]:
    """Dosing sessions running now, or open to be held today, at the user's sites (home page).

    A session not started is listed while today lies within its visit's window, for enrolled
    participants only (a withdrawn participant's sessions are no longer expected). Each comes
    with `due`: "today" (target today), "since" (target passed, window still open) or "open"
    (window open, target later).
    """
    today = timezone.localdate()
    site_ids = user_scope(user).sites_with("sessions_app.change_dosingsession")
    running = Q(status=DosingSession.Status.IN_PROGRESS)
    due = Q(
        status=DosingSession.Status.NOT_STARTED,
        visit__window_start__lte=today,
        visit__window_end__gte=today,
        visit__participant__status=Participant.Status.ENROLLED,
        visit__status=Visit.Status.SCHEDULED,
    )
    sessions = list(
        DosingSession.objects.filter(running | due, visit__participant__site_id__in=site_ids)
        .select_related("visit__participant__site")
        .order_by("status", "visit__target_date", "pk")[:limit]  # in progress first
    )
    for session in sessions:
        target = session.visit.target_date
        session.due = "today" if target == today else "since" if target < today else "open"
    return sessions


def sessions_awaiting_signature(*, user: User) -> QuerySet[DosingSession]:
    """Ended dosing sessions that no signature holds for, at the sites where the user signs them,
    oldest first: never signed, or signed and voided since by a late change. Each has
    `ready_at` (when it ended, or when its last signature was voided) and
    `signature_voided_at`."""
    site_ids = user_scope(user).sites_with("sessions_app.sign_dosingsession")
    return (
        with_signature_state(
            DosingSession.objects.filter(
                status=DosingSession.Status.ENDED, visit__participant__site_id__in=site_ids
            )
        )
        .filter(signed=False)
        .annotate(ready_at=Coalesce("signature_voided_at", "ended_at"))
        .select_related("visit__participant__site")
        .order_by("ready_at", "pk")
    )


def _entry_get(model, *, user: User, pk: int, missing: str, related: tuple[str, ...] = ()):
    """One entry of a session in the user's scope (404 otherwise), with its session's visit,
    participant, site and study, and `related`."""
    site_ids = user_scope(user).sites_with(VIEW_SESSION)
    entries = model.objects.select_related("session__visit__participant__site__study", *related)
    return get_in_scope(
        entries.filter(session__visit__participant__site_id__in=site_ids), pk, missing=missing
    )


def reading_get(*, user: User, pk: int) -> VitalSignReading:
    return _entry_get(VitalSignReading, user=user, pk=pk, missing="No such reading.")


def administration_get(*, user: User, pk: int) -> DoseAdministration:
    return _entry_get(
        DoseAdministration,
        user=user,
        pk=pk,
        missing="No such administration.",
        related=("session__lead_therapist", "session__co_therapist"),
    )


def observation_get(*, user: User, pk: int) -> Observation:
    return _entry_get(Observation, user=user, pk=pk, missing="No such observation.")

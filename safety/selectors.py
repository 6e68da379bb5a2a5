"""Reads of adverse events, always within the user's site scope."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, ExpressionWrapper, F, Prefetch, Q, QuerySet
from django.db.models.fields import DateTimeField
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import capfirst

from accounts.models import SITE_ROLES, Membership, User
from accounts.selectors import get_in_scope, user_scope
from records import measurements
from safety.clocks import SERIOUS_REPORT_HOURS
from safety.models import (
    MAKES_SERIOUS,
    REPORT_FIELDS,
    SERIOUS,
    SPECIAL_INTEREST,
    AdverseEvent,
    AdverseEventReport,
)
from sessions_app.models import StudySessionSettings, VitalSignAlert, VitalSignReading

VIEW_AE = "safety.view_adverseevent"
SUBMIT_AE = "safety.submit_adverseevent"
COUNT_AE = "safety.count_adverseevent"
NOT_FOUND = "No such adverse event."


def adverse_event_list(*, user: User) -> QuerySet[AdverseEvent]:
    """Adverse events of the sites the user may see, with what the list and detail pages show."""
    site_ids = user_scope(user).sites_with(VIEW_AE)
    return (
        AdverseEvent.objects.filter(participant__site_id__in=site_ids)
        .select_related(
            "participant__site__study",
            "dosing_session__visit",
            "source_reading",
            "reported_by",
            "review",
        )
        # What the clocks read (safety.clocks): one query for the page, whatever its length.
        .prefetch_related("regulatory_submissions")
    )


def adverse_event_detail(*, user: User, pk: int) -> AdverseEvent:
    """One adverse event in the user's scope, with its reports (signed ones in order; the
    follow-up waiting for a signature, if any, as `pending`)."""
    reports = AdverseEventReport.objects.select_related("signed_by", "drafted_by")
    ae = get_in_scope(
        adverse_event_list(user=user).prefetch_related(Prefetch("reports", queryset=reports)),
        pk,
        missing=NOT_FOUND,
    )
    ae.signed_reports = [r for r in ae.reports.all() if r.is_signed]
    ae.pending = next((r for r in ae.reports.all() if not r.is_signed), None)
    return ae


def adverse_events_awaiting_submission(*, user: User) -> QuerySet[AdverseEvent]:
    """Draft adverse events, which wait for the investigator's signed submission, at the sites
    where the user submits them, oldest first. Each has `ready_at`: when it was opened."""
    site_ids = user_scope(user).sites_with(SUBMIT_AE)
    return (
        AdverseEvent.objects.filter(
            participant__site_id__in=site_ids, status=AdverseEvent.Status.DRAFT
        )
        .annotate(ready_at=F("created_at"))
        .select_related("participant__site")
        .order_by("ready_at", "pk")
    )


# A serious event reported late stays on the site's home page this long after its report.
LATE_SHOWN = datetime.timedelta(days=7)
# When a serious event's 24-hour clock ends (safety.clocks.serious_clock), in SQL.
SERIOUS_DUE = ExpressionWrapper(
    Coalesce("serious_aware_at", "aware_at") + datetime.timedelta(hours=SERIOUS_REPORT_HOURS),
    output_field=DateTimeField(),
)


def serious_clocks_at_hand(*, user: User) -> QuerySet[AdverseEvent]:
    """Serious events of the user's sites whose 24-hour clock runs (not yet reported as
    serious: drafts), then those reported late in the last LATE_SHOWN; the first by their
    awareness (the most pressing first), the others most recent first."""
    site_ids = user_scope(user).sites_with(VIEW_AE)
    running = SERIOUS & Q(serious_reported_at__isnull=True)
    late = Q(serious_reported_at__gt=SERIOUS_DUE) & Q(
        serious_reported_at__gte=timezone.now() - LATE_SHOWN
    )
    return (
        AdverseEvent.objects.filter(participant__site_id__in=site_ids)
        .filter(running | late)
        .select_related("participant__site__study")
        .order_by(F("serious_reported_at").desc(nulls_first=True), "aware_at", "pk")
    )


def unreported_serious(
    queryset: QuerySet[AdverseEvent], *, known_before: datetime.datetime | None = None
) -> QuerySet[AdverseEvent]:
    """The events of `queryset` whose 24-hour clock runs: serious and not yet reported as
    serious (drafts), or made serious by a follow-up that waits for the investigator's
    signature, each with that follow-up as `waiting` (safety.clocks.serious_follow_up). With
    `known_before`, only those the site knew of by then."""
    drafts = SERIOUS
    follow_ups = AdverseEventReport.objects.filter(MAKES_SERIOUS)
    if known_before is not None:
        drafts &= Q(aware_at__lte=known_before)
        follow_ups = follow_ups.filter(drafted_at__lte=known_before)
    waiting = AdverseEventReport.objects.filter(signed_at__isnull=True)
    return queryset.filter(
        drafts | Q(pk__in=follow_ups.values("adverse_event_id")),
        serious_reported_at__isnull=True,
    ).prefetch_related(Prefetch("reports", queryset=waiting, to_attr="waiting"))


def site_staff_of(*, site_id: int) -> QuerySet[User]:
    """The active investigators and therapists of the site."""
    return User.objects.filter(
        is_active=True,
        pk__in=Membership.objects.filter(
            site_id=site_id, role__in=SITE_ROLES, is_active=True
        ).values("user_id"),
    ).order_by("pk")


def follow_ups_awaiting_signature(*, user: User) -> QuerySet[AdverseEventReport]:
    """Follow-up reports drafted by the site's staff and not yet signed, at the sites where the
    user signs them, oldest first. Each has `ready_at`: when it was last saved."""
    site_ids = user_scope(user).sites_with(SUBMIT_AE)
    return (
        AdverseEventReport.objects.filter(
            adverse_event__participant__site_id__in=site_ids, signed_at__isnull=True
        )
        .annotate(ready_at=F("drafted_at"))
        .select_related("adverse_event__participant__site")
        .order_by("ready_at", "pk")
    )


def adverse_event_get(*, user: User, pk: int) -> AdverseEvent:
    """One adverse event in the user's scope; any other ID is simply not found."""
    return get_in_scope(adverse_event_list(user=user), pk, missing=NOT_FOUND)


def reading_term(reading: VitalSignReading) -> str:
    """A verbatim term for a flagged reading: "Systolic blood pressure 172 mmHg (threshold 160)".

    The limits are those the alert recorded when the reading was flagged; without an alert, the
    study's current thresholds. A reading with no flag gives an empty term, for staff to write.
    """
    try:
        alert = reading.alert
    except VitalSignAlert.DoesNotExist:
        alert = None
    limits = {item["measurement"]: item["limit"] for item in (alert.exceeded if alert else [])}
    missing = [name for name in reading.flags if name not in limits]
    if missing:
        thresholds = StudySessionSettings.for_study(reading.session.visit.participant.site.study)
        limits.update({name: thresholds.thresholds[name] for name in missing})
    parts = []
    for name in reading.flags:
        m = measurements.BY_NAME.get(name)
        if m is None or not m.threshold_setting:
            continue
        parts.append(f"{m.term} {getattr(reading, name)} {m.unit} (threshold {limits[name]})")
    return "; ".join(parts)


@dataclass(frozen=True)
class Change:
    """One field a report set: its label, and the values before and after, as the page says
    them (`text`: free text, which the page shows only to those who may read it)."""

    field: str
    label: str
    old: str
    new: str
    text: bool


TEXT_FIELDS = {"verbatim_term", "description", "treatment"}


def _said(field: str, value) -> str:
    """A value of a report's `changes` as the page says it (times in the active time zone)."""
    model_field = AdverseEvent._meta.get_field(field)
    if value is None or value == "":
        return "—"
    if model_field.choices:
        return str(dict(model_field.choices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if model_field.get_internal_type() == "DateTimeField":
        when = timezone.localtime(datetime.datetime.fromisoformat(value))
        return when.strftime("%d %b %Y %H:%M")
    return str(value)


def report_changes(report: AdverseEventReport) -> list[Change]:
    """What `report` set, field by field, in the order of the report form."""
    changes = report.changes
    return [
        Change(
            field=name,
            label=capfirst(AdverseEvent._meta.get_field(name).verbose_name),
            old=_said(name, changes[name]["old"]),
            new=_said(name, changes[name]["new"]),
            text=name in TEXT_FIELDS,
        )
        for name in REPORT_FIELDS
        if name in changes
    ]


def adverse_event_counts(*, user: User) -> dict:
    """Submitted adverse events of the sites the user may count, per site and in all: by
    seriousness and special interest only (never a term or a text). Drafts are not counted."""
    site_ids = user_scope(user).sites_with(COUNT_AE)
    counts = {
        "total": Count("pk"),
        "serious": Count("pk", filter=SERIOUS),
        "non_serious": Count("pk", filter=~SERIOUS),
        **{name: Count("pk", filter=Q(**{name: True})) for name, _ in SPECIAL_INTEREST},
    }
    reported = AdverseEvent.objects.filter(participant__site_id__in=site_ids).exclude(
        status=AdverseEvent.Status.DRAFT
    )
    rows = list(
        reported.values("participant__site__number", "participant__site__name")
        .annotate(**counts)
        .order_by("participant__site__number")
    )
    return {"rows": rows, "all": reported.aggregate(**counts)}

"""Reads of adverse events, always within the user's site scope."""

from django.db.models import F, QuerySet

from accounts.models import User
from accounts.selectors import get_in_scope, user_scope
from records import measurements
from safety.models import AdverseEvent
from sessions_app.models import StudySessionSettings, VitalSignAlert, VitalSignReading

VIEW_AE = "safety.view_adverseevent"
SUBMIT_AE = "safety.submit_adverseevent"

# How a measurement over its threshold reads as an adverse-event term.


def adverse_event_list(*, user: User) -> QuerySet[AdverseEvent]:
    """Adverse events of the sites the user may see, with what the list and detail pages show."""
    site_ids = user_scope(user).sites_with(VIEW_AE)
    return AdverseEvent.objects.filter(participant__site_id__in=site_ids).select_related(
        "participant__site__study",
        "dosing_session__visit",
        "source_reading",
        "reported_by",
    )


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


def adverse_event_get(*, user: User, pk: int) -> AdverseEvent:
    """One adverse event in the user's scope; any other ID is simply not found."""
    return get_in_scope(adverse_event_list(user=user), pk, missing="No such adverse event.")


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

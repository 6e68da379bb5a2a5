"""Reads of vital-sign alerts, within the user's site scope, and of the monitors they go to."""

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Membership, Role, User
from accounts.selectors import user_scope
from sessions_app.models import VitalSignAlert
from sessions_app.models.alerts import OPEN
from sessions_app.selectors.flowsheet import MEASUREMENT_LABELS

VIEW_ALERT = "sessions_app.view_vitalsignalert"


def alert_list(*, user: User) -> QuerySet[VitalSignAlert]:
    site_ids = user_scope(user).sites_with(VIEW_ALERT)
    return VitalSignAlert.objects.filter(site_id__in=site_ids).select_related(
        "site", "reading__session__visit__participant__site", "acknowledged_by"
    )


def open_alerts(alerts: QuerySet[VitalSignAlert]) -> QuerySet[VitalSignAlert]:
    """Alerts still waiting for a monitor: not acknowledged, and not retracted by a correction."""
    return alerts.filter(OPEN)


def open_alert_count(*, user: User) -> int:
    return open_alerts(alert_list(user=user)).count()


def alert_summary(alert: VitalSignAlert) -> str:
    """One line naming the participant (by ID only), the session and what was exceeded."""
    reading = alert.reading
    visit = reading.session.visit
    parts = []
    for item in alert.exceeded:
        label, unit = MEASUREMENT_LABELS[item["measurement"]]
        parts.append(f"{label} {item['value']} {unit} (threshold {item['limit']})")
    when = timezone.localtime(reading.measured_at, alert.site.zoneinfo)
    return f"{visit.participant.label} {visit.label} at {when:%H:%M %Z}: " + ", ".join(parts)


def monitors_of(*, study_id: int) -> QuerySet[User]:
    """Every active medical monitor of the study."""
    return User.objects.filter(
        is_active=True,
        pk__in=Membership.objects.filter(
            study_id=study_id, role=Role.MONITOR, is_active=True
        ).values("user_id"),
    ).order_by("pk")

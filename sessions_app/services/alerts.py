"""Writes of vital-sign alerts: the medical monitor acknowledges an alert, once, while it stands."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from sessions_app.models import VitalSignAlert

ACKNOWLEDGE_ALERT = "sessions_app.acknowledge_vitalsignalert"


class AlertError(Exception):
    """A step the alert's state does not allow (for example acknowledging it twice)."""


def alert_acknowledge(*, actor: User, alert: VitalSignAlert) -> VitalSignAlert:
    """Record that the medical monitor has seen the alert (audited by django-auditlog).

    The row is locked, so of two monitors acknowledging at the same moment the second is told
    who was first, rather than overwriting them. A withdrawn alert (its reading corrected back
    within the thresholds) is closed: there is nothing left to acknowledge.
    """
    with transaction.atomic():
        alert = (
            VitalSignAlert.objects.select_for_update(of=("self",))
            .select_related("site", "acknowledged_by")
            .get(pk=alert.pk)
        )
        if not actor.has_perm(ACKNOWLEDGE_ALERT, alert):
            raise PermissionDenied("Only the study's medical monitor can acknowledge alerts.")
        if alert.acknowledged_at is not None:
            who = alert.acknowledged_by.printed_name if alert.acknowledged_by else "someone"
            when = timezone.localtime(alert.acknowledged_at)
            raise AlertError(
                f"This alert was already acknowledged by {who} at {when:%d %b %Y %H:%M}."
            )
        if alert.withdrawn_at is not None:
            when = timezone.localtime(alert.withdrawn_at, alert.site.zoneinfo)
            raise AlertError(
                f"This alert was withdrawn on {when:%d %b %Y %H:%M %Z}: its reading was corrected "
                f"back within the thresholds ({alert.correction_reason}). It is closed and "
                "needs no acknowledgement."
            )
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = actor
        alert.full_clean()
        alert.save()
    return alert

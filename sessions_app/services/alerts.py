"""Writes of vital-sign alerts, the whole of an alert's life.

A reading over a threshold raises an alert; a correction of the reading keeps its alert true to it
(retracted when back within every threshold, standing again when back over one); the medical
monitor acknowledges an alert, once, while it stands. The emails to the monitors are sent after
commit by sessions_app/tasks.py.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.context import records_actor
from records.edits import StepRefused
from sessions_app.models import VitalSignAlert, VitalSignReading
from sessions_app.tasks import (
    vital_sign_alert_notify,
    vital_sign_alert_reinstated_notify,
    vital_sign_alert_retracted_notify,
)

ACKNOWLEDGE_ALERT = "sessions_app.acknowledge_vitalsignalert"
ACKNOWLEDGE_REFUSED = "Only the study's medical monitor can acknowledge alerts."


class AlertError(StepRefused):
    """A step the alert's state does not allow (for example acknowledging it twice)."""


def _exceeded(reading: VitalSignReading, settings_) -> list[dict]:
    """What of the reading stands over a threshold: nothing once it is struck through."""
    if reading.is_voided:
        return []
    limits = settings_.thresholds
    return [
        {"measurement": name, "value": str(getattr(reading, name)), "limit": str(limits[name])}
        for name in reading.flags
    ]


def retraction(alert: VitalSignAlert) -> str:
    """Why a retracted alert was retracted, as the monitors are told (without the reason typed,
    which the alerts list shows as they may read it)."""
    if alert.reading.is_voided:
        return "its reading was struck through as entered in error"
    return "its reading was corrected back within the thresholds"


@records_actor
def alert_raise(*, actor: User, reading: VitalSignReading, settings_) -> VitalSignAlert | None:
    """An alert for a reading over a threshold (it has none yet), notified after commit."""
    if not _exceeded(reading, settings_):
        return None
    alert = VitalSignAlert(
        reading=reading,
        site_id=reading.session.visit.participant.site_id,
        exceeded=_exceeded(reading, settings_),
    )
    alert.full_clean()
    alert.save()
    vital_sign_alert_notify.delay_on_commit(alert.pk, actor_id=actor.pk)
    return alert


@records_actor
def alert_after_correction(
    *, actor: User, reading: VitalSignReading, settings_, reason: str
) -> VitalSignAlert | None:
    """Keep a corrected reading's alert true to it; the audit trail keeps what it said before.

    Still over a threshold: the alert shows the corrected values and the reason. Back within every
    threshold (a typing error, say): the alert is retracted and closed, never deleted, and the
    monitors who were emailed the alert are emailed that it is retracted, after commit. Back over
    a threshold once retracted: the alert stands again, and the monitors are told so (see
    sessions_app/tasks.py). A reading corrected over a threshold for the first time raises a new
    alert.
    """
    alert = VitalSignAlert.objects.select_for_update().filter(reading=reading).first()
    if alert is None:
        return alert_raise(actor=actor, reading=reading, settings_=settings_)
    exceeded = _exceeded(reading, settings_)
    if exceeded == alert.exceeded and alert.retracted_at is None:
        return alert
    was_retracted = alert.retracted_at is not None
    now = timezone.now()
    alert.corrected_at = now
    alert.correction_reason = reason.strip()
    if exceeded:
        alert.exceeded = exceeded
        alert.retracted_at = None
        if was_retracted:  # it stands again, with values nobody has reviewed: open again
            alert.acknowledged_at = None
            alert.acknowledged_by = None
    else:
        alert.retracted_at = now
    alert.full_clean()
    alert.save()
    if exceeded and was_retracted:
        vital_sign_alert_reinstated_notify.delay_on_commit(alert.pk, actor_id=actor.pk)
        vital_sign_alert_notify.delay_on_commit(alert.pk, actor_id=actor.pk)
    elif not exceeded and not was_retracted:
        vital_sign_alert_retracted_notify.delay_on_commit(alert.pk, actor_id=actor.pk)
    return alert


@records_actor
def alert_acknowledge(*, actor: User, alert: VitalSignAlert) -> VitalSignAlert:
    """Record that the medical monitor has seen the alert (audited by django-auditlog).

    The row is locked, so of two monitors acknowledging at the same moment the second is told
    who was first, rather than overwriting them. A retracted alert (its reading corrected back
    within the thresholds) is closed: there is nothing left to acknowledge.
    """
    with transaction.atomic():
        alert = (
            VitalSignAlert.objects.select_for_update(of=("self",))
            .select_related("site", "acknowledged_by")
            .get(pk=alert.pk)
        )
        if not actor.has_perm(ACKNOWLEDGE_ALERT, alert):
            raise PermissionDenied(ACKNOWLEDGE_REFUSED)
        if alert.acknowledged_at is not None:
            who = alert.acknowledged_by.printed_name if alert.acknowledged_by else "someone"
            when = timezone.localtime(alert.acknowledged_at)
            raise AlertError(
                f"This alert was already acknowledged by {who} at {when:%d %b %Y %H:%M}."
            )
        if alert.retracted_at is not None:
            when = timezone.localtime(alert.retracted_at, alert.site.zoneinfo)
            raise AlertError(
                f"This alert was retracted on {when:%d %b %Y %H:%M %Z}: {retraction(alert)}. It "
                "is closed and needs no acknowledgement."
            )
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = actor
        alert.full_clean()
        alert.save()
    return alert

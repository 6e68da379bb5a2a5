"""Telling the medical monitors about a vital-sign alert, each kind of news once per monitor.

Raised: a reading went over a threshold; every active monitor of the study is told. Retracted: a
correction brought the reading back within every threshold; the monitors told of the raise are
told. Reinstated: a later correction put a retracted alert back over a threshold; the monitors
told of the retraction are told it stands again, and any monitor not yet told of the alert is told
of it as raised (see `alert_after_correction` in sessions_app/services/alerts.py).

An `AlertNotification` row (unique per alert, recipient and kind) is written in the transaction
that sends the email: if sending fails, the row is rolled back and the retry sends it; a monitor
already told (by an earlier run, or a concurrent one) is skipped. That transaction also locks the
alert's row and checks the alert is still in the state the email describes, so a correction
changing the alert waits for the email in flight, and an email overtaken by a correction is not
sent (the correction's own task tells the monitors). A monitor is therefore never left with
"retracted" as the last word on an alert that stands.

Each kind is sent at most once per monitor: an alert retracted and reinstated a second time sends
nothing more (the alerts list shows its current state). The last email of such a monitor is then
"stands again" on an alert retracted once more, which errs towards looking at it.
"""

from collections.abc import Callable, Iterable
from functools import partial

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.tasks import acting_as_queuing_user
from records.redaction import redact
from records.tasks import EMAIL_RETRIES
from sessions_app.models import AlertNotification, VitalSignAlert
from sessions_app.selectors import MEASUREMENT_LABELS, alert_summary, monitors_of

Kind = AlertNotification.Kind
RELATED = ("site__study", "reading__session__visit__participant")


def _alerts_link() -> str:
    return settings.SITE_URL.rstrip("/") + reverse("sessions_app:alerts")


def _site_time(alert: VitalSignAlert, when) -> str:
    return f"{timezone.localtime(when, alert.site.zoneinfo):%d %b %Y %H:%M %Z}"


def _reading_now(alert: VitalSignAlert) -> str:
    """The reading's values as they stand after its correction: "Systolic 127 mmHg, ..."."""
    reading = alert.reading
    values = [
        f"{label} {getattr(reading, name)} {unit}"
        for name, (label, unit) in MEASUREMENT_LABELS.items()
        if getattr(reading, name) is not None
    ]
    return ", ".join(values) or "no vital signs"


def _told_of(alert_id: int, kind: str) -> QuerySet[AlertNotification]:
    """The recipients already emailed this kind of news of the alert (a subquery)."""
    return AlertNotification.objects.filter(alert_id=alert_id, kind=kind).values("recipient_id")


def _notify(
    alert_id: int,
    *,
    kind: str,
    recipients: Iterable[User],
    compose: Callable[[VitalSignAlert], tuple[str, str]],
) -> int:
    """Email each recipient the `kind` of news once, while the alert is in the state it tells.

    Returns how many were sent. Stops at the first monitor for whom the alert has changed state
    (retracted, or standing again) since the task was queued.
    """
    retracted = kind == Kind.RETRACTED
    sent = 0
    for monitor in recipients:
        if not monitor.email:
            continue
        with transaction.atomic():
            alert = (
                VitalSignAlert.objects.select_for_update(of=("self",))
                .select_related(*RELATED)
                .get(pk=alert_id)
            )
            if (alert.retracted_at is not None) != retracted:
                break
            _, created = AlertNotification.objects.get_or_create(
                alert=alert, recipient=monitor, kind=kind, defaults={"email": monitor.email}
            )
            if not created:
                continue
            subject, message = compose(alert)
            send_mail(
                subject=subject, message=message, from_email=None, recipient_list=[monitor.email]
            )
            sent += 1
    return sent


def _study_monitors(alert_id: int) -> QuerySet[User]:
    study_id = VitalSignAlert.objects.values_list("site__study_id", flat=True).get(pk=alert_id)
    return monitors_of(study_id=study_id)


def _raised_email(alert: VitalSignAlert) -> tuple[str, str]:
    summary = alert_summary(alert)
    return (
        f"[trialsite] Vital-sign alert: {summary}",
        f"A reading over the study's thresholds was recorded.\n\n{summary}\n\n"
        f"Site: {alert.site}\nRecorded: {_site_time(alert, alert.raised_at)}\n\n"
        f"Review the alerts: {_alerts_link()}\n",
    )


# What a correction of an alerted reading did to the alert: the news, the email's opening, and
# the time it gives (its label and the alert's field).
_CORRECTION_NEWS = {
    Kind.RETRACTED: (
        "retracted",
        "A reading you were alerted to was corrected back within the study's thresholds: the "
        "alert is retracted and closed.",
        ("Retracted", "retracted_at"),
    ),
    Kind.REINSTATED: (
        "stands again",
        "A reading whose alert was retracted was corrected back over the study's thresholds: the "
        "alert stands again and is open.",
        ("Corrected", "corrected_at"),
    ),
}


def _without_identity(alert: VitalSignAlert) -> str:
    """The correction's reason as a monitor may read it: no identity of the participant."""
    participant = alert.reading.session.visit.participant
    return redact(alert.correction_reason, participant.identifying_strings())


STRUCK_NEWS = (
    "A reading you were alerted to was struck through as entered in error (it should never have "
    "been recorded): the alert is retracted and closed."
)


def _correction_email(alert: VitalSignAlert, *, kind: str) -> tuple[str, str]:
    news, opening, (when_label, when_field) = _CORRECTION_NEWS[kind]
    summary = alert_summary(alert)
    struck = kind == Kind.RETRACTED and alert.reading.is_voided
    reading = (
        "Reading: struck through" if struck else f"Reading corrected to: {_reading_now(alert)}"
    )
    return (
        f"[trialsite] Vital-sign alert {news}: {summary}",
        f"{STRUCK_NEWS if struck else opening}\n\n"
        f"Alert: {summary}\n"
        f"{reading}\n"
        f"Reason: {_without_identity(alert)}\n\n"
        f"Site: {alert.site}\n{when_label}: {_site_time(alert, getattr(alert, when_field))}\n\n"
        f"Review the alerts: {_alerts_link()}\n",
    )


def _notify_correction(alert_id: int, *, kind: str, told_of: str) -> int:
    """Email the study's monitors who were emailed `told_of` about the alert of its correction
    (`kind`: retracted or reinstated); returns how many were sent."""
    recipients = _study_monitors(alert_id).filter(pk__in=_told_of(alert_id, told_of))
    return _notify(
        alert_id,
        kind=kind,
        recipients=recipients,
        compose=partial(_correction_email, kind=kind),
    )


@shared_task(**EMAIL_RETRIES)
@acting_as_queuing_user
def vital_sign_alert_notify(alert_id: int) -> int:
    """Email every active medical monitor of the study about the alert; returns how many.

    Sent only while the alert stands: a monitor not yet emailed when a correction retracted it is
    not told (nor, then, of the retraction); if it is reinstated later, this task runs again.
    """
    return _notify(
        alert_id, kind=Kind.RAISED, recipients=_study_monitors(alert_id), compose=_raised_email
    )


@shared_task(**EMAIL_RETRIES)
@acting_as_queuing_user
def vital_sign_alert_retracted_notify(alert_id: int) -> int:
    """Email the monitors told of the alert that it is retracted; returns how many were sent.

    Only monitors who were emailed the raise and are still active monitors of the study; the
    email names the participant by study ID, gives the reading's corrected values and the reason.
    Once per monitor and alert: a second retraction of the same alert is not emailed.
    """
    return _notify_correction(alert_id, kind=Kind.RETRACTED, told_of=Kind.RAISED)


@shared_task(name="sessions_app.tasks.vital_sign_alert_withdrawn_notify", **EMAIL_RETRIES)
def vital_sign_alert_retracted_notify_by_its_former_name(alert_id: int, **kwargs) -> int:
    """The retraction's email under the name its task had before the alert's "withdrawn" became
    "retracted", so that a message queued before an upgrade is still sent."""
    return vital_sign_alert_retracted_notify.run(alert_id, **kwargs)


@shared_task(**EMAIL_RETRIES)
@acting_as_queuing_user
def vital_sign_alert_reinstated_notify(alert_id: int) -> int:
    """Email the monitors told of the retraction that the alert stands again; returns how many.

    Once per monitor and alert. Monitors never told of the alert are told by
    `vital_sign_alert_notify`, queued beside this task.
    """
    return _notify_correction(alert_id, kind=Kind.REINSTATED, told_of=Kind.RETRACTED)

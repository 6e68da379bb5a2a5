"""Notifying the medical monitors of a reading over a threshold, once per monitor."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from audit.tasks import acting_as_queuing_user
from sessions_app.models import AlertNotification, VitalSignAlert
from sessions_app.selectors import alert_summary, monitors_of


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
@acting_as_queuing_user
def vital_sign_alert_notify(alert_id: int) -> int:
    """Email every medical monitor of the study about the alert; returns how many were sent.

    Each monitor's notification row is written in the same transaction as the email is sent: if
    sending fails, the row is rolled back and the retry sends it; a monitor already notified (by
    an earlier run, or a concurrent one, which waits on the row's unique index) is skipped.
    """
    alert = VitalSignAlert.objects.select_related(
        "site__study", "reading__session__visit__participant"
    ).get(pk=alert_id)
    summary = alert_summary(alert)
    link = settings.SITE_URL.rstrip("/") + reverse("sessions_app:alerts")
    sent = 0
    for monitor in monitors_of(study_id=alert.site.study_id):
        if not monitor.email:
            continue
        with transaction.atomic():
            _, created = AlertNotification.objects.get_or_create(
                alert=alert, recipient=monitor, defaults={"email": monitor.email}
            )
            if not created:
                continue
            send_mail(
                subject=f"[trialsite] Vital-sign alert: {summary}",
                message=(
                    f"A reading over the study's thresholds was recorded.\n\n{summary}\n\n"
                    f"Site: {alert.site}\nRecorded: {alert.raised_at:%Y-%m-%d %H:%M} UTC\n\n"
                    f"Review the alerts: {link}\n"
                ),
                from_email=None,
                recipient_list=[monitor.email],
            )
            sent += 1
    return sent

"""A reading over a threshold emails every medical monitor of the study, once, after commit.

Celery runs eagerly in unit tests (trialsite/settings/test.py), so a task queued with
`delay_on_commit` runs when the on-commit callbacks are executed.
"""

import datetime
import zoneinfo
from smtplib import SMTPServerDisconnected

import pytest
from celery.exceptions import Retry, SoftTimeLimitExceeded
from django.core.mail.backends import locmem
from django.db import transaction
from django.utils import timezone

from accounts.models import Role
from audit.models import LogEntry
from sessions_app.models import AlertNotification, VitalSignAlert
from sessions_app.services import flowsheet
from sessions_app.tasks import (
    vital_sign_alert_notify,
    vital_sign_alert_reinstated_notify,
    vital_sign_alert_retracted_notify,
    vital_sign_alert_retracted_notify_by_its_former_name,
)
from tests.accounts.factories import MembershipFactory, StudyFactory, UserFactory
from tests.sessions_app.factories import monitor_of

pytestmark = pytest.mark.django_db


def _flagged(session, actor, **values):
    values = values or {"systolic": 172, "diastolic": 96}
    return flowsheet.vital_sign_record(
        actor=actor,
        session=session,
        measured_at=timezone.now() - datetime.timedelta(minutes=5),
        **values,
    )


def test_a_flagged_reading_emails_every_monitor_once_after_commit(
    started_session, therapist, monitors, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        reading = _flagged(started_session, therapist)
        assert mailoutbox == []  # not before the transaction commits
    assert len(callbacks) == 1

    alert = VitalSignAlert.objects.get()
    assert alert.reading == reading
    assert sorted(m.to[0] for m in mailoutbox) == sorted(m.email for m in monitors)
    assert all(len(m.to) == 1 for m in mailoutbox)
    assert sorted(n.recipient_id for n in alert.notifications.all()) == sorted(
        m.pk for m in monitors
    )


def test_the_email_names_the_participant_by_id_only(
    started_session,
    therapist,
    monitor,
    participant1,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    assert participant1.identity.given_name == "Alice"
    with django_capture_on_commit_callbacks(execute=True):
        _flagged(started_session, therapist, pulse=128)
    (message,) = mailoutbox
    text = f"{message.subject}\n{message.body}"
    assert "S01-0001" in message.subject
    assert "S01-0001" in message.body
    assert "Pulse 128 bpm (threshold 110)" in text
    assert "/sessions/alerts/" in message.body
    for identity in ("Alice", "Ashdown", participant1.identity.email, "1980"):
        assert identity not in text


def test_nothing_is_sent_when_the_transaction_rolls_back(
    started_session, therapist, monitors, mailoutbox, django_capture_on_commit_callbacks
):
    class Abort(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Abort):
            with transaction.atomic():
                _flagged(started_session, therapist)
                raise Abort
    assert callbacks == []
    assert mailoutbox == []
    assert not VitalSignAlert.objects.exists()
    assert not AlertNotification.objects.exists()


def test_a_reading_under_the_thresholds_alerts_nobody(
    started_session, therapist, monitors, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _flagged(started_session, therapist, systolic=160, diastolic=110, pulse=110)
    assert callbacks == []
    assert mailoutbox == []
    assert not VitalSignAlert.objects.exists()


def test_running_the_task_again_sends_no_second_email(
    started_session, therapist, monitors, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _flagged(started_session, therapist)
    alert = VitalSignAlert.objects.get()
    assert len(mailoutbox) == 2

    assert vital_sign_alert_notify.delay(alert.pk, actor_id=therapist.pk).get() == 0
    assert vital_sign_alert_notify(alert.pk) == 0
    assert len(mailoutbox) == 2
    assert AlertNotification.objects.filter(alert=alert).count() == 2


def test_a_monitor_added_later_is_notified_on_the_retry(
    started_session, therapist, monitor, study, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _flagged(started_session, therapist)
    assert [m.to for m in mailoutbox] == [[monitor.email]]
    late = monitor_of("monitor_late", study)
    assert vital_sign_alert_notify(VitalSignAlert.objects.get().pk) == 1
    assert [m.to for m in mailoutbox] == [[monitor.email], [late.email]]


def test_monitors_of_another_study_are_not_emailed(
    started_session, therapist, monitor, mailoutbox, django_capture_on_commit_callbacks
):
    other = monitor_of("other_monitor", StudyFactory(code="OTHER"))
    with django_capture_on_commit_callbacks(execute=True):
        _flagged(started_session, therapist)
    recipients = [m.to[0] for m in mailoutbox]
    assert recipients == [monitor.email]
    assert other.email not in recipients


def test_site_staff_and_sponsor_are_not_emailed(
    started_session,
    therapist,
    investigator,
    sponsor,
    monitor,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        _flagged(started_session, therapist)
    assert [m.to for m in mailoutbox] == [[monitor.email]]


def test_monitors_without_email_or_inactive_are_skipped(
    started_session, therapist, monitor, study, mailoutbox, django_capture_on_commit_callbacks
):
    no_email = monitor_of("monitor_no_email", study, email="")
    inactive_user = monitor_of("monitor_inactive", study, is_active=False)
    ended_role = UserFactory(username="monitor_ended")
    MembershipFactory(user=ended_role, role=Role.MONITOR, site=None, study=study, is_active=False)

    with django_capture_on_commit_callbacks(execute=True):
        _flagged(started_session, therapist)

    assert [m.to for m in mailoutbox] == [[monitor.email]]
    alert = VitalSignAlert.objects.get()
    assert [n.recipient for n in alert.notifications.all()] == [monitor]
    assert not AlertNotification.objects.filter(
        recipient__in=[no_email, inactive_user, ended_role]
    ).exists()


def test_notifications_are_audited_as_the_user_who_recorded_the_reading(
    started_session, therapist, monitor, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _flagged(started_session, therapist)
    notification = AlertNotification.objects.get()
    entry = LogEntry.objects.get_for_object(notification).get()
    assert entry.action == LogEntry.Action.CREATE
    assert entry.actor == therapist


def test_the_email_gives_the_time_at_the_site(
    started_session, therapist, monitor, site1, mailoutbox, django_capture_on_commit_callbacks
):
    site1.time_zone = "Asia/Tokyo"
    site1.save()
    with django_capture_on_commit_callbacks(execute=True):
        _flagged(started_session, therapist)
    alert = VitalSignAlert.objects.get()
    raised = timezone.localtime(alert.raised_at, zoneinfo.ZoneInfo("Asia/Tokyo"))
    (message,) = mailoutbox
    assert f"Recorded: {raised:%d %b %Y %H:%M} JST" in message.body


# --- Sending cut short is sent again ------------------------------------------------------------

EMAIL_TASKS = [
    vital_sign_alert_notify,
    vital_sign_alert_retracted_notify,
    vital_sign_alert_retracted_notify_by_its_former_name,
    vital_sign_alert_reinstated_notify,
]


@pytest.mark.parametrize(
    "failure",
    [SMTPServerDisconnected("timed out"), SoftTimeLimitExceeded()],
    ids=["email-timeout", "soft-time-limit"],
)
def test_a_send_cut_short_is_retried_and_each_monitor_emailed_once(
    failure,
    started_session,
    therapist,
    monitors,
    mailoutbox,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    """A mail server that times out (EMAIL_TIMEOUT) or a task stopped by its soft time limit in the
    middle of sending: that monitor's notification rolls back, and the retry sends it."""
    send_messages = locmem.EmailBackend.send_messages
    failures = [failure]

    def cut_short_once(backend, messages):
        if failures:
            raise failures.pop()
        return send_messages(backend, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", cut_short_once)
    # Eager tasks propagate what they raise: the retry is asked for here, and run below.
    with pytest.raises(Retry):
        with django_capture_on_commit_callbacks(execute=True):
            _flagged(started_session, therapist)
    assert failures == []
    assert mailoutbox == []
    assert not AlertNotification.objects.exists()  # rolled back with the send

    assert vital_sign_alert_notify(VitalSignAlert.objects.get().pk) == len(monitors)
    assert sorted(m.to[0] for m in mailoutbox) == sorted(m.email for m in monitors)
    assert AlertNotification.objects.count() == len(monitors)


@pytest.mark.parametrize("task", EMAIL_TASKS, ids=lambda task: task.name.rsplit(".", 1)[-1])
def test_every_alert_email_retries_within_the_visibility_timeout(task, settings):
    """Retried on a failed send or the soft time limit; a retry's wait and its run (at most the hard
    time limit) stay under Redis's visibility timeout, so it is not delivered twice; late
    acknowledgement, so a task whose worker died is delivered again."""
    visibility_timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert {OSError, SoftTimeLimitExceeded} <= set(task.autoretry_for)
    assert task.retry_backoff
    assert task.retry_backoff_max == settings.CELERY_RETRY_BACKOFF_MAX
    assert task.retry_backoff_max + settings.CELERY_TASK_TIME_LIMIT < visibility_timeout
    assert settings.EMAIL_TIMEOUT < settings.CELERY_TASK_SOFT_TIME_LIMIT
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT
    assert task.acks_late
    assert task.reject_on_worker_lost

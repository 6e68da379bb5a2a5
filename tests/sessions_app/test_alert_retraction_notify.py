"""An alert retracted by a correction is emailed to the monitors told of it, once, and is closed.

Celery runs eagerly in unit tests, so a task queued with `delay_on_commit` runs when the on-commit
callbacks are executed (`django_capture_on_commit_callbacks(execute=True)`).
"""

import datetime
import types

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Role
from audit.models import LogEntry
from sessions_app.models import AlertNotification, VitalSignAlert
from sessions_app.selectors import open_alerts
from sessions_app.services import alerts, flowsheet
from sessions_app.services.alerts import AlertError, alert_acknowledge
from sessions_app.tasks import (
    vital_sign_alert_notify,
    vital_sign_alert_reinstated_notify,
    vital_sign_alert_retracted_notify,
)
from tests.accounts.factories import MembershipFactory, StudyFactory, UserFactory
from tests.sessions_app.factories import dosed_session_of, monitor_of, reading_correct
from tests.sessions_app.test_concurrency import _run_together

pytestmark = pytest.mark.django_db

ALERTS = reverse("sessions_app:alerts")
RETRACTED_SUBJECT = "[trialsite] Vital-sign alert retracted: "
Kind = AlertNotification.Kind


def _raise(session, actor, **values):
    """A reading of systolic 172 (over 160), its alert emailed to the monitors."""
    values = values or {"systolic": 172, "diastolic": 95, "pulse": 88}
    return flowsheet.vital_sign_record(
        actor=actor,
        session=session,
        measured_at=session.started_at + datetime.timedelta(minutes=60),
        **values,
    )


def _correct(reading, actor, systolic, reason="172 was a typing error for 127"):
    reading.refresh_from_db()
    reading_correct(reading, actor, reason=reason, systolic=systolic)
    return VitalSignAlert.objects.get(reading=reading)


def _retractions(mailoutbox):
    return [m for m in mailoutbox if m.subject.startswith(RETRACTED_SUBJECT)]


@pytest.fixture
def raised(dosed_session, therapist, monitors, mailoutbox, django_capture_on_commit_callbacks):
    """A reading over the threshold whose alert both monitors were emailed."""
    with django_capture_on_commit_callbacks(execute=True):
        reading = _raise(dosed_session, therapist)
    assert len(mailoutbox) == 2
    return reading


# --- Who is told, and when --------------------------------------------------------------------


def test_retraction_emails_only_the_monitors_told_of_the_raise_after_commit(
    raised, therapist, monitors, study, mailoutbox, django_capture_on_commit_callbacks
):
    late = monitor_of("monitor_late", study)  # a monitor since, never told of the alert
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        alert = _correct(raised, therapist, 127)
        assert _retractions(mailoutbox) == []  # not before the correction commits
    assert len(callbacks) == 1

    sent = _retractions(mailoutbox)
    assert sorted(m.to for m in sent) == sorted([m.email] for m in monitors)
    assert late.email not in [m.to[0] for m in mailoutbox]
    assert sorted(
        alert.notifications.filter(kind=Kind.RETRACTED).values_list("recipient_id", flat=True)
    ) == sorted(m.pk for m in monitors)


def test_the_retraction_email_names_the_participant_by_id_and_gives_the_correction(
    site1, raised, therapist, monitor, participant1, mailoutbox, django_capture_on_commit_callbacks
):
    site1.time_zone = "Asia/Tokyo"
    site1.save()
    with django_capture_on_commit_callbacks(execute=True):
        alert = _correct(raised, therapist, 127)
    message = next(m for m in _retractions(mailoutbox) if m.to == [monitor.email])
    text = f"{message.subject}\n{message.body}"
    assert "S01-0001" in message.subject
    assert "Systolic 172 mmHg (threshold 160)" in message.subject  # the alert as it was told
    assert "Reading corrected to: Systolic 127 mmHg, Diastolic 95 mmHg, Pulse 88 bpm" in text
    assert "Reason: 172 was a typing error for 127" in text
    tokyo = timezone.localtime(alert.retracted_at, site1.zoneinfo)
    assert f"Retracted: {tokyo:%d %b %Y %H:%M} JST" in text
    assert "/sessions/alerts/" in message.body
    for identity in ("Alice", "Ashdown", participant1.identity.email, "1980"):
        assert identity not in text


def test_running_the_retraction_task_again_sends_no_second_email(
    raised, therapist, therapist2, monitors, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        alert = _correct(raised, therapist, 127)
    assert len(_retractions(mailoutbox)) == 2

    assert vital_sign_alert_retracted_notify(alert.pk) == 0
    assert vital_sign_alert_retracted_notify.delay(alert.pk, actor_id=therapist.pk).get() == 0
    assert len(_retractions(mailoutbox)) == 2
    assert alert.notifications.filter(kind=Kind.RETRACTED).count() == 2


def test_a_rolled_back_correction_sends_nothing(
    raised, therapist, monitors, mailoutbox, django_capture_on_commit_callbacks
):
    class Abort(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Abort):
            with transaction.atomic():
                _correct(raised, therapist, 127)
                raise Abort
    assert callbacks == []
    assert _retractions(mailoutbox) == []
    assert VitalSignAlert.objects.get().retracted_at is None
    assert not AlertNotification.objects.filter(kind=Kind.RETRACTED).exists()


def test_a_correction_still_over_the_threshold_sends_no_retraction(
    raised, therapist, monitors, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _correct(raised, therapist, 182, reason="Misread the monitor")
    assert callbacks == []
    assert len(mailoutbox) == 2


def test_a_monitor_who_left_the_study_since_the_raise_is_not_told(
    raised, therapist, monitors, mailoutbox, django_capture_on_commit_callbacks
):
    leaver = monitors[1]
    membership = Membership.objects.get(user=leaver, role=Role.MONITOR)
    membership.is_active = False
    membership.save()
    with django_capture_on_commit_callbacks(execute=True):
        _correct(raised, therapist, 127)
    assert [m.to for m in _retractions(mailoutbox)] == [[monitors[0].email]]


def test_a_second_sites_retraction_reaches_its_studys_monitors_only(
    participant2,
    therapist2,
    site2,
    monitor,
    therapist,
    sponsor,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    co = UserFactory(username="investigator2")
    MembershipFactory(user=co, role=Role.INVESTIGATOR, site=site2, study=site2.study)
    session2 = dosed_session_of(participant2, therapist2, co)
    other = monitor_of("other_monitor", StudyFactory(code="OTHER"))
    with django_capture_on_commit_callbacks(execute=True):
        reading = _raise(session2, therapist2)
    assert [m.to for m in mailoutbox] == [[monitor.email]]

    with django_capture_on_commit_callbacks(execute=True):
        _correct(reading, therapist2, 127)
    (message,) = _retractions(mailoutbox)
    assert message.to == [monitor.email]
    assert "S02-0001" in message.subject
    everyone = [m.to[0] for m in mailoutbox]
    for outsider in (other, therapist, therapist2, co, sponsor):
        assert outsider.email not in everyone


def test_an_alert_retracted_before_anyone_was_told_sends_nothing(
    dosed_session, therapist, monitors, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as raise_callbacks:
        reading = _raise(dosed_session, therapist)  # its raise task has not run yet
    with django_capture_on_commit_callbacks(execute=True):
        alert = _correct(reading, therapist, 127)
    assert mailoutbox == []
    for callback in raise_callbacks:  # the raise task, running late: the alert no longer stands
        callback()
    assert vital_sign_alert_notify(alert.pk) == 0
    assert mailoutbox == []
    assert not alert.notifications.exists()


def test_retraction_notifications_are_audited_as_the_user_who_corrected(
    raised, therapist, investigator, monitor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _correct(raised, investigator, 127)
    notification = AlertNotification.objects.filter(kind=Kind.RETRACTED).first()
    entry = LogEntry.objects.get_for_object(notification).get()
    assert entry.action == LogEntry.Action.CREATE
    assert entry.actor == investigator


# --- Retracted, then standing again -----------------------------------------------------------


def test_an_alert_standing_again_is_emailed_to_the_monitors_told_it_was_retracted(
    raised, therapist, monitors, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _correct(raised, therapist, 127)
    with django_capture_on_commit_callbacks(execute=True):
        alert = _correct(raised, therapist, 172, reason="It was 172 after all")
    again = [m for m in mailoutbox if "stands again" in m.subject]
    assert sorted(m.to for m in again) == sorted([m.email] for m in monitors)
    assert "Reason: It was 172 after all" in again[0].body
    assert alert.retracted_at is None

    # A second round of corrections is not emailed again: one of each kind per monitor.
    count = len(mailoutbox)
    with django_capture_on_commit_callbacks(execute=True):
        _correct(raised, therapist, 127, reason="Typing error once more")
    with django_capture_on_commit_callbacks(execute=True):
        _correct(raised, therapist, 172, reason="Checked the paper sheet")
    assert len(mailoutbox) == count
    assert vital_sign_alert_reinstated_notify(alert.pk) == 0
    assert alert.notifications.count() == 6  # raised, retracted, reinstated for each


def test_an_alert_standing_again_is_told_to_monitors_never_told_of_it(
    dosed_session, therapist, monitors, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        reading = _raise(dosed_session, therapist)  # retracted before its raise task ran
    with django_capture_on_commit_callbacks(execute=True):
        _correct(reading, therapist, 127)
    with django_capture_on_commit_callbacks(execute=True):
        _correct(reading, therapist, 172, reason="It was 172 after all")
    assert sorted(m.to for m in mailoutbox) == sorted([m.email] for m in monitors)
    assert all(m.subject.startswith("[trialsite] Vital-sign alert: ") for m in mailoutbox)


def test_a_retraction_overtaken_by_a_later_correction_is_not_sent(
    raised, therapist, monitors, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as retraction:
        alert = _correct(raised, therapist, 127)
    with django_capture_on_commit_callbacks(execute=False):
        _correct(raised, therapist, 172, reason="It was 172 after all")
    (callback,) = retraction
    callback()  # the retraction task runs only now, when the alert stands again
    assert _retractions(mailoutbox) == []
    assert vital_sign_alert_retracted_notify(alert.pk) == 0
    assert not alert.notifications.filter(kind=Kind.RETRACTED).exists()


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_runs_of_the_retraction_task_email_each_monitor_once(
    dosed_session, therapist, monitors, mailoutbox, monkeypatch
):
    _raise(dosed_session, therapist)  # committed: the raise task has run
    assert len(mailoutbox) == 2
    reading = VitalSignAlert.objects.get().reading
    queued = []
    monkeypatch.setattr(
        alerts,
        "vital_sign_alert_retracted_notify",
        types.SimpleNamespace(delay_on_commit=lambda *args, **kwargs: queued.append(args)),
    )
    alert = _correct(reading, therapist, 127)
    assert queued == [(alert.pk,)]

    outcomes = _run_together(
        lambda: vital_sign_alert_retracted_notify(alert.pk),
        lambda: vital_sign_alert_retracted_notify(alert.pk),
    )

    assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    assert sum(sent for _, sent in outcomes) == 2
    assert sorted(m.to for m in _retractions(mailoutbox)) == sorted([m.email] for m in monitors)
    assert AlertNotification.objects.filter(kind=Kind.RETRACTED).count() == 2


# --- A retracted alert is closed --------------------------------------------------------------


@pytest.fixture
def retracted(raised, therapist):
    return _correct(raised, therapist, 127)


def test_acknowledging_a_retracted_alert_is_refused(retracted, monitor):
    with pytest.raises(AlertError, match="retracted"):
        alert_acknowledge(actor=monitor, alert=retracted)
    retracted.refresh_from_db()
    assert retracted.acknowledged_at is None


def test_posting_an_acknowledgement_of_a_retracted_alert_says_why_it_is_refused(
    client, retracted, monitor
):
    client.force_login(monitor)
    url = reverse("sessions_app:alert_acknowledge", args=[retracted.pk])
    response = client.post(url, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "This alert was retracted on" in page
    assert "172 was a typing error for 127" in page
    retracted.refresh_from_db()
    assert retracted.acknowledged_at is None
    assert retracted.acknowledged_by is None


def test_the_list_offers_no_acknowledge_for_a_retracted_alert(
    client, retracted, dosed_session, therapist, monitor
):
    open_reading = _raise(dosed_session, therapist, pulse=125)
    open_alert = VitalSignAlert.objects.get(reading=open_reading)
    client.force_login(monitor)
    page = client.get(ALERTS).content.decode()
    rows = {
        alert.pk: page.split(f'id="alert-{alert.pk}"')[1].split("</tr>")[0]
        for alert in (retracted, open_alert)
    }
    assert "Acknowledge</button>" not in rows[retracted.pk]
    assert 'data-testid="alert-closed"' in rows[retracted.pk]
    assert "Acknowledge</button>" in rows[open_alert.pk]
    assert page.count("Acknowledge</button>") == 1


def test_an_alert_standing_again_can_be_acknowledged(retracted, therapist, monitor):
    alert = _correct(retracted.reading, therapist, 172, reason="It was 172 after all")
    alert_acknowledge(actor=monitor, alert=alert)
    alert.refresh_from_db()
    assert alert.acknowledged_by == monitor


def test_an_acknowledged_alert_that_stands_again_is_open_again(raised, therapist, monitor):
    alert_acknowledge(actor=monitor, alert=VitalSignAlert.objects.get(reading=raised))
    _correct(raised, therapist, 127)  # retracted
    alert = _correct(raised, therapist, 181, reason="It was 181 after all")
    assert alert.retracted_at is None
    assert alert.acknowledged_at is None and alert.acknowledged_by is None
    assert open_alerts(VitalSignAlert.objects.all()).get() == alert


# --- What was named after "withdrawn" before the alert's retraction was named so ---------------


def test_a_message_queued_under_the_tasks_former_name_still_emails_the_retraction(
    raised, therapist, monitors, mailoutbox
):
    from trialsite.celery import app

    alert = _correct(raised, therapist, 127)  # on-commit callbacks not run: nothing sent yet
    assert _retractions(mailoutbox) == []
    former = app.tasks["sessions_app.tasks.vital_sign_alert_withdrawn_notify"]
    assert former.apply(args=[alert.pk]).get() == len(monitors)
    assert len(_retractions(mailoutbox)) == len(monitors)


def test_a_link_to_the_former_withdrawn_filter_lists_the_retracted_alerts(
    client, raised, therapist, monitor
):
    _correct(raised, therapist, 127)
    client.force_login(monitor)
    former = client.get(ALERTS + "?status=withdrawn").content.decode()
    assert former.count('data-testid="alert-row"') == 1
    assert (
        client.get(ALERTS + "?status=open").content.decode().count('data-testid="alert-row"') == 0
    )


def test_a_retraction_keeps_the_code_it_was_stored_with():
    assert Kind.RETRACTED == "withdrawn"
    assert Kind.RETRACTED.label == "Retracted"


def test_identity_typed_into_the_reason_is_redacted_in_the_monitors_email(
    raised, therapist, monitor, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _correct(raised, therapist, 127, reason="Alice Ashdown's own reading was 127")
    message = next(m for m in _retractions(mailoutbox) if m.to == [monitor.email])
    assert "Reason: [redacted] own reading was 127" in message.body
    assert "Alice" not in message.body and "Ashdown" not in message.body

"""The safety emails: a serious adverse event reaches every monitor of the study at once, the
site is reminded at 18 hours without a submission, and the monitors are warned of a SUSAR's
report due soon, then overdue; each once per recipient and step, whatever runs twice or fails."""

import datetime
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from safety import services
from safety.models import AdverseEvent, RegulatorySubmission, SafetyNotice
from safety.review import regulatory_submission_record, review_assess
from safety.tasks import (
    serious_reminder_send,
    serious_reminders_send,
    serious_submitted_notify,
    susar_warnings_send,
)
from tests.accounts.factories import TEST_PASSWORD, MembershipFactory, UserFactory
from tests.safety.factories import draft, submitted
from tests.sessions_app.factories import monitor_of

pytestmark = pytest.mark.django_db

SERIOUS = {"serious_hospitalisation": True, "verbatim_term": "Chest pain"}


@pytest.fixture
def monitors(study, monitor):
    """Two active monitors of the study, and one whose role is no longer active."""
    gone = UserFactory(username="monitor_gone")
    MembershipFactory(user=gone, role=Role.MONITOR, site=None, study=study, is_active=False)
    return [monitor, monitor_of("monitor_b", study)]


def _to(kind: str) -> list[str]:
    """The addresses emailed the `kind` of news, in order."""
    return [m.to[0] for m in mail.outbox if m.subject.startswith(f"[trialsite] {kind}")]


def _submit_serious(
    therapist, investigator, participant, django_capture_on_commit_callbacks, **values
):
    with django_capture_on_commit_callbacks(execute=True):
        return submitted(therapist, investigator, participant, **{**SERIOUS, **values})


# A serious event submitted.


def test_a_submitted_serious_event_emails_each_active_monitor_once(
    therapist, investigator, participant1, monitors, django_capture_on_commit_callbacks
):
    ae = _submit_serious(therapist, investigator, participant1, django_capture_on_commit_callbacks)
    assert sorted(_to("Serious adverse event reported")) == sorted(m.email for m in monitors)
    (message, _) = mail.outbox
    assert message.subject == (
        f"[trialsite] Serious adverse event reported: MAPP-TEST site 01, "
        f"AE {ae.pk} (serious: hospitalisation)"
    )
    body = message.body
    assert "Participant: S01-0001" in body and "Site: 01" in body and "Study: MAPP-TEST" in body
    assert "Seriousness criteria met: Requires inpatient hospitalisation" in body
    aware = timezone.localtime(ae.aware_at, participant1.site.zoneinfo)
    assert f"Site's awareness: {aware:%d %b %Y %H:%M %Z}" in body
    assert "24-hour report to the sponsor: due" in body and "(met)" in body
    assert settings.SITE_URL.rstrip("/") + reverse("safety:ae_detail", args=[ae.pk]) in body

    assert serious_submitted_notify(ae.pk) == 0  # a second run sends nothing more
    assert len(mail.outbox) == 2
    assert SafetyNotice.objects.filter(kind=SafetyNotice.Kind.SERIOUS_SUBMITTED).count() == 2


def test_the_email_carries_no_identity_nor_free_text(
    therapist, investigator, participant1, monitors, django_capture_on_commit_callbacks
):
    _submit_serious(
        therapist,
        investigator,
        participant1,
        django_capture_on_commit_callbacks,
        description="Alice Ashdown felt chest pain at home.",
        treatment="Aspirin",
    )
    identity = participant1.identity
    secrets = [
        identity.given_name,
        identity.family_name,
        identity.email,
        identity.phone,
        f"{identity.date_of_birth:%d %b %Y}",
        identity.date_of_birth.isoformat(),
        "Chest pain",
        "chest pain",
        "Aspirin",
    ]
    assert mail.outbox
    for message in mail.outbox:
        for secret in secrets:
            assert secret not in message.body and secret not in message.subject, secret


def test_a_non_serious_event_emails_nobody(
    therapist, investigator, participant1, monitors, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        submitted(therapist, investigator, participant1)
    assert callbacks == [] and mail.outbox == []


def test_the_email_waits_for_the_submission_to_commit(
    therapist, investigator, participant1, monitors, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submitted(therapist, investigator, participant1, **SERIOUS)
    assert len(callbacks) == 1 and mail.outbox == []


def test_a_follow_up_that_makes_the_event_serious_emails_the_monitors_once(
    therapist, investigator, participant1, monitors, django_capture_on_commit_callbacks
):
    ae = submitted(therapist, investigator, participant1, ended_at=None, ongoing=True)
    assert mail.outbox == []

    def follow_up(**values):
        ae_now = AdverseEvent.objects.get(pk=ae.pk)
        report = services.adverse_event_follow_up_save(
            actor=therapist,
            adverse_event=ae_now,
            reason="Admitted overnight",
            final=False,
            expected_version=ae_now.version,
            expected_report_version=None,
            **values,
        )
        with django_capture_on_commit_callbacks(execute=True):
            services.adverse_event_follow_up_sign(
                actor=investigator,
                adverse_event=ae_now,
                password=TEST_PASSWORD,
                expected_version=report.version,
            )

    follow_up(serious_hospitalisation=True)
    assert len(_to("Serious adverse event reported")) == 2
    follow_up(serious_disability=True)  # serious already: its 24-hour clock stopped before
    assert len(mail.outbox) == 2


def test_a_failed_sending_leaves_no_claim_and_the_retry_sends_it(
    therapist, investigator, participant1, monitors, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        ae = submitted(therapist, investigator, participant1, **SERIOUS)
    first, second = monitors
    # The first monitor's email goes; the mail server is down for the second's.
    with mock.patch("safety.tasks.send_mail", side_effect=[1, OSError("mail server down")]):
        with pytest.raises(Retry):  # eager tasks propagate the retry asked for
            serious_submitted_notify.delay(ae.pk)
    claims = SafetyNotice.objects.filter(adverse_event=ae)
    assert list(claims.values_list("recipient", flat=True)) == [first.pk]
    assert serious_submitted_notify.delay(ae.pk).get() == 1
    assert _to("Serious adverse event reported") == [second.email]
    assert claims.count() == 2


# The site's reminder at 18 hours.


@pytest.fixture
def serious_draft(therapist, participant1):
    """A serious draft, not submitted, of which the site learned 18 h 30 min ago."""
    now = timezone.now()
    return draft(
        therapist,
        participant1,
        onset_at=now - datetime.timedelta(hours=19),
        aware_at=now - datetime.timedelta(hours=18, minutes=30),
        ended_at=None,
        ongoing=True,
        **SERIOUS,
    )


def _at(when):
    return mock.patch("django.utils.timezone.now", return_value=when)


def test_the_site_is_reminded_at_18_hours_once_each(
    serious_draft, therapist, investigator, therapist2, monitors
):
    inactive = UserFactory(username="former_therapist")
    MembershipFactory(user=inactive, role=Role.THERAPIST, site=serious_draft.participant.site)
    inactive.is_active = False
    inactive.save()
    aware = serious_draft.aware_at
    with _at(aware + datetime.timedelta(hours=17, minutes=59)):
        assert serious_reminders_send() == 0
    assert mail.outbox == []

    with _at(aware + datetime.timedelta(hours=18)):
        assert serious_reminders_send() == 1
        assert serious_reminders_send() == 0  # beat again: everyone was told
    assert sorted(_to("Serious adverse event not yet submitted")) == sorted(
        [therapist.email, investigator.email]
    )
    body = mail.outbox[0].body
    assert f"AE {serious_draft.pk} (serious: hospitalisation)" in body
    assert "24-hour report to the sponsor: due" in body and "6 h left" in body
    assert "Chest pain" not in body and "Ashdown" not in body


def test_no_reminder_once_the_event_is_submitted_even_one_queued_before(
    serious_draft, investigator, therapist
):
    # Beat queued the reminder; the investigator submits before a worker runs it.
    services.adverse_event_submit(
        actor=investigator,
        adverse_event=serious_draft,
        password=TEST_PASSWORD,
        expected_version=serious_draft.version,
    )
    mail.outbox.clear()
    assert serious_reminder_send(serious_draft.pk) == 0
    assert serious_reminders_send() == 0
    assert mail.outbox == []
    assert not SafetyNotice.objects.filter(kind=SafetyNotice.Kind.SERIOUS_REMINDER).exists()


def test_a_follow_up_making_it_serious_runs_the_clock_and_reminds_at_18_hours(
    therapist, investigator, participant1, login
):
    ae = submitted(therapist, investigator, participant1)
    report = services.adverse_event_follow_up_save(
        actor=therapist,
        adverse_event=ae,
        reason="Admitted to hospital last night",
        final=False,
        expected_version=ae.version,
        expected_report_version=None,
        serious_hospitalisation=True,
    )
    page = login(investigator).get(reverse("safety:ae_detail", args=[ae.pk])).content.decode()
    assert "24-hour report to the sponsor (follow-up)" in page
    mail.outbox.clear()
    with _at(report.drafted_at + datetime.timedelta(hours=17, minutes=59)):
        assert serious_reminders_send() == 0
    with _at(report.drafted_at + datetime.timedelta(hours=18)):
        assert serious_reminders_send() == 1
        assert serious_reminders_send() == 0
    assert sorted(_to("Serious adverse event not yet submitted")) == sorted(
        [therapist.email, investigator.email]
    )


# The SUSAR's warnings.


def _susar(monitor, therapist, investigator, participant, **values) -> AdverseEvent:
    """A submitted serious event the monitor judges related and unexpected: a SUSAR today."""
    ae = submitted(therapist, investigator, participant, **{**SERIOUS, **values})
    review = ae.review
    review_assess(
        actor=monitor,
        review=review,
        expected_version=review.version,
        sponsor_causality=AdverseEvent.Causality.PROBABLE,
        expected=False,
        reference_safety_information=None,
    )
    mail.outbox.clear()
    return AdverseEvent.objects.select_related("review").get(pk=ae.pk)


def _day_end(ae, days: int) -> datetime.datetime:
    zone = ae.participant.site.zoneinfo
    day0 = ae.review.susar_since.astimezone(zone).date()
    return datetime.datetime.combine(
        day0 + datetime.timedelta(days=days), datetime.time.max, tzinfo=zone
    )


def test_susar_warnings_once_per_step_then_overdue(monitors, therapist, investigator, participant1):
    ae = _susar(monitors[0], therapist, investigator, participant1, serious_life_threatening=True)
    initial_due, follow_up_due = _day_end(ae, 7), _day_end(ae, 15)
    with _at(initial_due - datetime.timedelta(days=3)):
        assert susar_warnings_send() == 0
    with _at(initial_due - datetime.timedelta(days=1)):
        assert susar_warnings_send() == 1
        assert susar_warnings_send() == 0
    assert len(_to("SUSAR report due soon")) == 2
    assert "SUSAR report, 7 days: due" in mail.outbox[0].body

    with _at(follow_up_due - datetime.timedelta(days=1)):
        assert susar_warnings_send() == 2  # the report overdue, its follow-up due soon
        assert susar_warnings_send() == 0
    assert len(_to("SUSAR report overdue")) == 2
    assert len(_to("SUSAR report due soon")) == 4
    notices = SafetyNotice.objects.filter(adverse_event=ae, recipient=monitors[0])
    assert sorted(notices.values_list("kind", "step")) == [
        (SafetyNotice.Kind.SUSAR_DUE_SOON, "follow_up"),
        (SafetyNotice.Kind.SUSAR_DUE_SOON, "initial"),
        (SafetyNotice.Kind.SUSAR_OVERDUE, "initial"),
    ]


def test_no_susar_warning_once_its_report_is_recorded(
    monitors, therapist, investigator, participant1
):
    ae = _susar(monitors[0], therapist, investigator, participant1)
    due = _day_end(ae, 15)
    regulatory_submission_record(
        actor=monitors[0],
        adverse_event=ae,
        kind=RegulatorySubmission.Kind.INITIAL,
        submitted_on=timezone.localdate(),
        reference="REG-1",
    )
    with _at(due + datetime.timedelta(hours=1)):
        assert susar_warnings_send() == 0
    assert mail.outbox == []


def test_the_emails_are_scheduled_and_bounded_in_time():
    from safety import tasks

    beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {serious_reminders_send.name, susar_warnings_send.name} <= beat
    assert settings.CELERY_BEAT_SCHEDULE["serious-ae-reminders"]["schedule"] == 15 * 60
    for task in (
        tasks.serious_submitted_notify,
        tasks.serious_reminder_send,
        tasks.serious_reminders_send,
        tasks.susar_warning_send,
        tasks.susar_warnings_send,
    ):
        assert 0 < task.soft_time_limit < task.time_limit <= settings.CELERY_VISIBILITY_TIMEOUT
    assert OSError in tasks.serious_submitted_notify.autoretry_for

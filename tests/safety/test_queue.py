"""The monitor's review queue (sorted by urgency, filtered), the dashboard of running clocks and
who is late, and the monitor's home card."""

import datetime

import pytest
from django.db import models
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from demo.adverse_events import bulk_adverse_events
from safety import queue_order
from safety.clocks import clocks
from safety.models import (
    AdverseEvent,
    AdverseEventReview,
    QueuePlace,
    ReferenceSafetyInformation,
    RegulatorySubmission,
)
from safety.queue import Urgency, review_queue
from safety.review import regulatory_submission_record, review_assess
from tests.accounts.factories import MembershipFactory
from tests.participants.factories import EnrolledParticipantFactory
from tests.safety.factories import draft, submitted

pytestmark = pytest.mark.django_db

QUEUE = reverse("safety:review_queue")
CLOCKS = reverse("safety:clock_dashboard")
HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def rsi(study, monitor):
    return ReferenceSafetyInformation.objects.create(
        study=study,
        version="IB 1",
        effective_on=datetime.date(2026, 1, 1),
        expected_terms="Nausea",
        created_by=monitor,
    )


def _review(ae) -> AdverseEventReview:
    return AdverseEventReview.objects.get(adverse_event=ae)


def _set_review(ae, **values) -> None:
    """Set the review's values directly (a test's shortcut past the monitor's signature), and
    what the queue keeps of them, as a save does."""
    models.QuerySet(AdverseEventReview).filter(adverse_event=ae).update(**values)
    queue_order.refresh([ae.pk])


def _assess(monitor, ae, rsi, **values) -> None:
    review = _review(ae)
    review_assess(
        actor=monitor,
        review=review,
        expected_version=review.version,
        sponsor_causality="probable",
        reference_safety_information=rsi,
        **{"expected": True, **values},
    )


def _susar(monitor, ae, rsi, *, days_ago: int, reported: bool = False):
    """Make `ae` (serious, related) a SUSAR `days_ago` days ago; its initial report recorded
    today when `reported`."""
    _assess(monitor, ae, rsi, expected=False)
    _set_review(ae, susar_since=timezone.now() - datetime.timedelta(days=days_ago))
    ae.refresh_from_db()
    if reported:
        regulatory_submission_record(
            actor=monitor,
            adverse_event=ae,
            kind=RegulatorySubmission.Kind.INITIAL,
            submitted_on=timezone.localdate(),
            reference=f"REG-{ae.pk}",
        )
    return ae


@pytest.fixture
def investigator2(site2):
    return MembershipFactory(role=Role.INVESTIGATOR, site=site2, study=site2.study).user


@pytest.fixture
def events(
    therapist, investigator, therapist2, investigator2, participant1, participant2, monitor, rsi
):
    def event(term, participant=participant1, **values):
        if participant == participant2:
            return submitted(therapist2, investigator2, participant, verbatim_term=term, **values)
        return submitted(therapist, investigator, participant, verbatim_term=term, **values)

    made = {
        "plain": event("Nausea", aesi_cardiovascular=True),
        "serious": event("Chest pain", serious_hospitalisation=True),
        "later": event("Headache"),
        "reviewed": event("Insomnia"),
        "overdue": event("Hepatitis", serious_hospitalisation=True),
        "fatal": event("Arrhythmia", serious_life_threatening=True, severity_grade=4),
        "follow_up": event("Stroke", participant2, serious_life_threatening=True),
        "recent": event("Psychosis", serious_hospitalisation=True),
        "draft": draft(
            therapist, participant1, verbatim_term="Fainting", serious_other_important=True
        ),
    }
    _assess(
        monitor,
        made["serious"],
        rsi,
        meddra_pt_code="10008479",
        meddra_pt_term="Chest pain",
        meddra_version="27.0",
    )
    _set_review(made["reviewed"], state=AdverseEventReview.State.REVIEWED)
    _susar(monitor, made["overdue"], rsi, days_ago=20)
    _susar(monitor, made["fatal"], rsi, days_ago=2)
    _susar(monitor, made["follow_up"], rsi, days_ago=3, reported=True)
    _susar(monitor, made["recent"], rsi, days_ago=1)
    return made


def _terms(client, query="") -> list[str]:
    response = client.get(QUEUE + query)
    assert response.status_code == 200
    return [ae.verbatim_term for ae in response.context["adverse_events"]]


def test_the_queue_puts_overdue_and_running_clocks_first_then_serious_then_oldest(
    login, monitor, events
):
    assert _terms(login(monitor)) == [
        "Hepatitis",  # a SUSAR's report overdue (day 20 of 15)
        "Arrhythmia",  # fatal or life-threatening: due day 7, in 5 days
        "Stroke",  # its report sent, its follow-up due day 15, in 12 days
        "Psychosis",  # due day 15, in 14 days
        "Chest pain",  # serious
        "Nausea",  # the oldest submission of the rest
        "Headache",
    ]


def test_the_queue_shows_each_clock_state_and_coding(login, monitor, events):
    page = login(monitor).get(QUEUE).content.decode()
    assert 'data-clock="overdue"' in page and 'data-clock="running"' in page
    rows = {ae.verbatim_term: ae for ae in login(monitor).get(QUEUE).context["adverse_events"]}
    assert [c.state() for c in rows["Hepatitis"].clocks] == ["met", "overdue"]
    assert [c.state() for c in rows["Stroke"].clocks] == ["met", "met", "running"]
    assert rows["Chest pain"].review.is_coded and not rows["Nausea"].review.is_coded
    assert "Fainting" not in page  # a draft is not the monitor's to review


def test_the_queue_filters_by_state_site_seriousness_special_interest_and_coding(
    login, monitor, events, site2
):
    client = login(monitor)
    assert "Insomnia" not in _terms(client)  # reviewed, no clock: nothing left to do
    assert _terms(client, "?state=reviewed") == ["Insomnia"]
    assert "Insomnia" in _terms(client, "?state=all")
    assert _terms(client, "?state=under_review") == [
        "Hepatitis",
        "Arrhythmia",
        "Stroke",
        "Psychosis",
        "Chest pain",
    ]
    assert _terms(client, f"?site={site2.pk}") == ["Stroke"]
    assert _terms(client, "?seriousness=non_serious") == ["Nausea", "Headache"]
    assert _terms(client, "?special_interest=aesi_cardiovascular") == ["Nausea"]
    assert _terms(client, "?coding=coded") == ["Chest pain"]
    assert "Chest pain" not in _terms(client, "?coding=uncoded")


def test_the_queue_is_the_monitors_only(login, therapist, sponsor, study_admin, events):
    for user in (therapist, sponsor, study_admin):
        assert login(user).get(QUEUE).status_code == 403
        assert login(user).get(CLOCKS).status_code == 403


def test_the_dashboard_lists_running_clocks_by_due_time_with_who_is_late(
    login, monitor, therapist, participant1, events
):
    now = timezone.now()
    late = draft(
        therapist,
        participant1,
        verbatim_term="Seizure",
        serious_hospitalisation=True,
        onset_at=now - 31 * HOUR,
        aware_at=now - 30 * HOUR,
        ended_at=None,
        ongoing=True,
    )
    response = login(monitor).get(CLOCKS)
    running = [(item.ae.verbatim_term, item.clock.name) for item in response.context["running"]]
    assert running == [
        ("Hepatitis", "SUSAR report, 15 days"),  # due 4 days ago
        ("Seizure", "24-hour report to the sponsor"),  # due 6 hours ago
        ("Fainting", "24-hour report to the sponsor"),  # aware 2 hours ago
        ("Arrhythmia", "SUSAR report, 7 days"),
        ("Stroke", "SUSAR follow-up, day 15"),  # day 0 three days ago
        ("Arrhythmia", "SUSAR follow-up, day 15"),  # two days ago
        ("Psychosis", "SUSAR report, 15 days"),
    ]
    page = response.content.decode()
    assert "The site is late" in page  # the Seizure's report
    assert "The sponsor is late" in page  # the Hepatitis' report to the regulator
    assert "21 h 59 min left" in page  # the Fainting's, owed by the site
    assert f"AE {late.pk}" in page


def test_the_dashboard_lists_clocks_that_ended_late(
    login, monitor, therapist, investigator, participant1, events
):
    now = timezone.now()
    submitted(
        therapist,
        investigator,
        participant1,
        verbatim_term="Syncope",
        serious_hospitalisation=True,
        onset_at=now - 31 * HOUR,
        aware_at=now - 30 * HOUR,
    )
    regulatory_submission_record(
        actor=monitor,
        adverse_event=events["overdue"],
        kind=RegulatorySubmission.Kind.INITIAL,
        submitted_on=timezone.localdate(),
        reference="REG-LATE",
    )
    response = login(monitor).get(CLOCKS)
    late = [(item.ae.verbatim_term, item.owed_by) for item in response.context["ended_late"]]
    assert sorted(late) == [("Hepatitis", "the sponsor"), ("Syncope", "the site")]
    assert "Hepatitis" not in [item.ae.verbatim_term for item in response.context["running"]]
    assert "The sponsor was late" in response.content.decode()


def test_the_monitor_home_counts_what_waits_and_shows_the_most_urgent(login, monitor, events):
    response = login(monitor).get(reverse("home"))
    assert response.context["ae_waiting"] == 7
    assert [ae.verbatim_term for ae in response.context["ae_urgent"]][:2] == [
        "Hepatitis",
        "Arrhythmia",
    ]
    page = response.content.decode()
    assert 'data-testid="monitor-ae-waiting">7<' in page
    assert reverse("safety:review_queue") in page


def test_the_queue_order_agrees_with_each_events_clocks_across_time_zones(
    monitor, therapist, site1, site2
):
    """The urgency the queue sorts by (when each clock ends, kept as a column, with day 0 in
    each site's zone) is what the clocks say."""
    models.QuerySet(type(site2)).filter(pk=site2.pk).update(time_zone="Pacific/Auckland")
    models.QuerySet(type(site1)).filter(pk=site1.pk).update(time_zone="America/Chicago")
    participants = [
        EnrolledParticipantFactory(
            site=site, study_code=f"S{site.number}-07{n}", screening_number=f"SCR-7{n}{site.number}"
        )
        for site in (site1, site2)
        for n in range(3)
    ]
    assert bulk_adverse_events(
        participants=participants, reporter=therapist, monitor=monitor, count=400
    )
    events = list(review_queue(user=monitor))
    assert len(events) == AdverseEvent.objects.exclude(status=AdverseEvent.Status.DRAFT).count()
    due = []
    for ae in events:
        running = [c for c in clocks(ae) if c.by_day and c.running]
        assert ae.clock_overdue == any(c.state() == "overdue" for c in running), ae.pk
        assert ae.clock_due_at == min((c.due_at for c in running), default=None), ae.pk
        if ae.urgency <= Urgency.SUSAR_RUNNING:
            due.append((ae.urgency, running[0].due_at))
        else:
            assert not running and ae.urgency == (
                Urgency.SERIOUS if ae.is_serious else Urgency.OTHER
            )
    assert due == sorted(due) and {u for u, _ in due} == {0, 1}
    ranks = [ae.urgency for ae in events]
    assert ranks == sorted(ranks)


def _kept_due(ae) -> datetime.datetime | None:
    return QueuePlace.objects.filter(adverse_event=ae).values_list("due_at", flat=True).first()


def _rank(ae) -> int:
    return QueuePlace.objects.get(adverse_event=ae).rank


def _clocks_due(ae) -> datetime.datetime | None:
    ae = AdverseEvent.objects.select_related("participant__site", "review").get(pk=ae.pk)
    return min((c.due_at for c in clocks(ae) if c.by_day and c.running), default=None)


def test_the_kept_end_of_a_susars_clock_follows_each_step_that_moves_it(
    monitor, therapist, investigator, participant1, rsi
):
    """Each service's save keeps the queue's column in step: the assessment that makes a SUSAR
    starts its clock, the report to the regulator stops it (and starts the follow-up's of a
    life-threatening one), a reassessment that makes it no SUSAR stops every clock."""
    ae = submitted(therapist, investigator, participant1, serious_life_threatening=True)
    plain = submitted(therapist, investigator, participant1)
    assert _kept_due(ae) is None and _rank(ae) == QueuePlace.Rank.SERIOUS
    assert _rank(plain) == QueuePlace.Rank.OTHER
    _assess(monitor, ae, rsi, expected=False)
    assert _rank(ae) == QueuePlace.Rank.SUSAR_CLOCK
    report_due = _kept_due(ae)
    assert report_due is not None and report_due == _clocks_due(ae)
    regulatory_submission_record(
        actor=monitor,
        adverse_event=ae,
        kind=RegulatorySubmission.Kind.INITIAL,
        submitted_on=timezone.localdate(timezone=participant1.site.zoneinfo),
        reference="REG-1",
    )
    follow_up_due = _kept_due(ae)
    assert follow_up_due == _clocks_due(ae)
    assert follow_up_due - report_due == datetime.timedelta(days=8)
    _assess(monitor, ae, rsi, expected=True, reason="Listed in the new brochure.")
    assert _kept_due(ae) is None and _clocks_due(ae) is None
    assert _rank(ae) == QueuePlace.Rank.SERIOUS


def test_a_change_of_the_sites_zone_moves_the_kept_end_of_its_clocks(
    monitor, therapist, investigator, participant1, site1, rsi
):
    ae = submitted(therapist, investigator, participant1, serious_hospitalisation=True)
    _assess(monitor, ae, rsi, expected=False)
    before = _kept_due(ae)
    site1.time_zone = "Pacific/Kiritimati" if site1.time_zone != "Pacific/Kiritimati" else "UTC"
    site1.save()
    assert _kept_due(ae) == _clocks_due(ae) != before

"""Withdrawing a participant: who may, what the day must respect, and the visits left behind.

Visits not held by the day of withdrawal stay in the schedule but are no longer expected: they
are neither overdue on the course nor offered as due on the staff's home page, and no visit can
be recorded after that day.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from audit.models import LogEntry
from participants.models import Participant
from participants.services import participant_set_status
from sessions_app.models import DosingSession, Visit
from sessions_app.selectors import sessions_at_hand
from sessions_app.services import flowsheet
from sessions_app.services.visits import (
    participant_withdraw,
    visit_mark_held,
    visit_schedule_create,
)
from tests.accounts.factories import MembershipFactory, SiteFactory
from tests.participants.factories import EnrolledParticipantFactory

pytestmark = pytest.mark.django_db


def _today():
    return timezone.localdate()


def _withdraw_url(participant):
    return reverse("participants:withdraw", args=[participant.pk])


def _post(participant, **overrides):
    data = {
        "version": participant.version,
        "withdrawn_on": _today().isoformat(),
        "category": Participant.WithdrawalCategory.PARTICIPANT,
        "details": "Moved abroad for work.",
    }
    data.update(overrides)
    return data


@pytest.fixture
def held_p1(course1, therapist):
    """participant1's P1 held on its target day (June 2026)."""
    p1 = next(v for v in course1 if v.code == "P1")
    return visit_mark_held(actor=therapist, visit=p1, held_on=p1.target_date)


def test_the_investigator_withdraws_a_participant_and_the_reason_is_audited(
    login, investigator, participant1, held_p1
):
    client = login(investigator)
    day = held_p1.held_on + datetime.timedelta(days=10)
    response = client.post(_withdraw_url(participant1), _post(participant1, withdrawn_on=day))
    assert response.status_code == 302
    participant1.refresh_from_db()
    assert participant1.status == Participant.Status.WITHDRAWN
    assert participant1.withdrawn_on == day
    assert participant1.withdrawal_category == "participant"
    assert participant1.withdrawal_details == "Moved abroad for work."
    entry = LogEntry.objects.get_for_object(participant1).latest("seq")
    assert entry.actor == investigator
    assert entry.changes_dict["status"] == ["enrolled", "withdrawn"]
    assert "Withdrawal by the participant" in entry.reason
    page = client.get(reverse("participants:detail", args=[participant1.pk])).content.decode()
    assert f"{day:%d %b %Y}: Withdrawal by the participant" in page
    assert "Moved abroad for work." in page


def test_the_visits_left_behind_are_not_overdue(login, investigator, participant1, held_p1):
    client = login(investigator)
    page = client.get(reverse("participants:detail", args=[participant1.pk])).content.decode()
    assert "overdue" in page  # enrolled in June: the visits after P1 are overdue
    participant_withdraw(
        actor=investigator,
        participant=participant1,
        withdrawn_on=held_p1.held_on,
        category=Participant.WithdrawalCategory.ADVERSE_EVENT,
        details="",
        expected_version=participant1.version,
    )
    page = client.get(reverse("participants:detail", args=[participant1.pk])).content.decode()
    assert "overdue" not in page
    assert 'data-testid="not-expected-D1"' in page
    assert 'data-testid="not-expected-P1"' not in page  # held before the withdrawal
    assert "Withdraw from the study" not in page
    d1 = Visit.objects.select_related("participant").get(participant=participant1, code="D1")
    assert not d1.is_expected and not d1.is_overdue


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"withdrawn_on": "2099-01-01"}, "withdrawn_on", "cannot be in the future"),
        ({"withdrawn_on": "2026-05-01"}, "withdrawn_on", "was enrolled on 01 Jun 2026"),
        ({"withdrawn_on": "not a date"}, "withdrawn_on", "Enter a valid date"),
        ({"category": ""}, "category", "This field is required"),
        ({"category": "bored"}, "category", "Select a valid choice"),
        ({"category": "other", "details": "  "}, "details", "Say why the participant"),
    ],
)
def test_bad_input_is_refused_beside_its_field_and_kept(
    login, investigator, participant1, overrides, field, message
):
    client = login(investigator)
    data = _post(participant1, **{"details": "Kept text", **overrides})
    response = client.post(_withdraw_url(participant1), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert any(message in error for error in form.errors[field]), form.errors
    assert form.data["details"] == data["details"]
    participant1.refresh_from_db()
    assert participant1.status == Participant.Status.ENROLLED


def test_the_day_cannot_precede_a_visit_held(login, investigator, participant1, held_p1):
    day = held_p1.held_on - datetime.timedelta(days=1)
    response = login(investigator).post(
        _withdraw_url(participant1), _post(participant1, withdrawn_on=day)
    )
    assert response.status_code == 200
    assert f"Preparatory 1 was held on {held_p1.held_on:%d %b %Y}" in str(
        response.context["form"].errors["withdrawn_on"]
    )


def test_a_session_in_progress_is_ended_first(login, investigator, started_session):
    participant = started_session.visit.participant
    response = login(investigator).post(_withdraw_url(participant), _post(participant))
    assert response.status_code == 200
    assert "The Dosing 1 session is in progress" in str(response.context["form"].non_field_errors())
    participant.refresh_from_db()
    assert participant.status == Participant.Status.ENROLLED


def test_a_stale_form_is_refused_and_the_input_kept(login, investigator, participant1):
    client = login(investigator)
    data = _post(participant1, details="Typed before the other save")
    participant1.enrolled_on = participant1.enrolled_on  # someone else saves in between
    participant1.save()
    response = client.post(_withdraw_url(participant1), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert "changed by someone else" in str(form.non_field_errors())
    assert form.data["details"] == "Typed before the other save"
    assert form.data["version"] == Participant.objects.get(pk=participant1.pk).version
    participant1.refresh_from_db()
    assert participant1.status == Participant.Status.ENROLLED


def test_only_the_sites_investigator_may_withdraw(
    login, therapist, monitor, sponsor, participant1, participant2, investigator
):
    assert login(therapist).get(_withdraw_url(participant1)).status_code == 403
    assert login(monitor).post(_withdraw_url(participant1), _post(participant1)).status_code == 403
    assert login(sponsor).get(_withdraw_url(participant1)).status_code in (403, 404)
    # The investigator of site 1 cannot reach a site-2 participant.
    response = login(investigator).post(_withdraw_url(participant2), _post(participant2))
    assert response.status_code == 404
    participant2.refresh_from_db()
    assert participant2.status == Participant.Status.ENROLLED
    page = login(investigator).get(reverse("participants:detail", args=[participant1.pk]))
    assert "Withdraw from the study" in page.content.decode()
    page = login(therapist).get(reverse("participants:detail", args=[participant1.pk]))
    assert "Withdraw from the study" not in page.content.decode()


def test_no_visit_is_recorded_after_the_withdrawal(
    investigator, therapist, participant1, course1, held_p1
):
    participant_withdraw(
        actor=investigator,
        participant=participant1,
        withdrawn_on=held_p1.held_on + datetime.timedelta(days=7),
        category=Participant.WithdrawalCategory.LOST_TO_FOLLOW_UP,
        details="",
        expected_version=participant1.version,
    )
    p2 = Visit.objects.get(participant=participant1, code="P2")
    with pytest.raises(ValidationError) as refused:
        visit_mark_held(
            actor=therapist, visit=p2, held_on=held_p1.held_on + datetime.timedelta(days=8)
        )
    assert "withdrawn from the study on" in str(refused.value.message_dict["held_on"])
    # A visit held before the withdrawal can still be entered late.
    visit_mark_held(actor=therapist, visit=p2, held_on=held_p1.held_on + datetime.timedelta(days=7))
    session = DosingSession.objects.get(visit__participant=participant1, visit__code="D1")
    with pytest.raises(flowsheet.FlowsheetError, match="withdrawn since .*: no dosing session"):
        flowsheet.dosing_session_start(
            actor=therapist,
            session=session,
            started_at=timezone.now() - datetime.timedelta(hours=1),
            lead_therapist=therapist,
            co_therapist=investigator,
            deviation_explanation="Late",
            expected_version=session.version,
        )
    session.refresh_from_db()
    assert session.status == DosingSession.Status.NOT_STARTED


def test_the_course_offers_to_record_only_visits_that_could_have_been_held(
    login, investigator, therapist, participant1, held_p1
):
    withdrawn_on = held_p1.held_on + datetime.timedelta(days=8)  # P2's window has opened
    participant_withdraw(
        actor=investigator,
        participant=participant1,
        withdrawn_on=withdrawn_on,
        category=Participant.WithdrawalCategory.PARTICIPANT,
        details="",
        expected_version=participant1.version,
    )
    visits = {v.code: v for v in Visit.objects.filter(participant=participant1)}
    assert visits["P2"].window_start <= withdrawn_on < visits["P3"].window_start
    page = login(therapist).get(reverse("participants:detail", args=[participant1.pk]))
    rows = {
        code: page.content.decode().split(f'data-testid="visit-{code}"', 1)[1].split("</tr>")[0]
        for code in ("P1", "P2", "P3", "I1.1")
    }
    assert "Change" in rows["P1"]  # held: its date can be corrected
    assert "Record held" in rows["P2"]  # may have been held before the withdrawal
    assert "Record held" not in rows["P3"]
    assert "Write notes" not in rows["I1.1"] and "notes after" not in rows["I1.1"]


def test_a_withdrawn_participant_cannot_be_withdrawn_again(investigator, participant1):
    kwargs = dict(
        actor=investigator,
        participant=participant1,
        withdrawn_on=_today(),
        category=Participant.WithdrawalCategory.INVESTIGATOR,
        details="",
    )
    participant_withdraw(**kwargs, expected_version=participant1.version)
    participant1.refresh_from_db()
    with pytest.raises(ValidationError, match="not enrolled"):
        participant_withdraw(**kwargs, expected_version=participant1.version)


# --- The home page's sessions at hand ----------------------------------------------------------


def _enrolled_at(site, therapist, days_ago, number):
    participant = EnrolledParticipantFactory(
        site=site,
        study_code=f"S{site.number}-{number:04d}",
        screening_number=f"SCR{site.number}-{number:04d}",
        enrolled_on=_today() - datetime.timedelta(days=days_ago),
    )
    visit_schedule_create(actor=therapist, participant=participant)
    return participant


def test_sessions_at_hand_say_how_they_are_due_and_leave_out_withdrawn_participants(
    login, site1, therapist, investigator
):
    # D1's target is 28 days after enrolment, its window a week either side.
    due_today = _enrolled_at(site1, therapist, 28, 11)
    due_since = _enrolled_at(site1, therapist, 31, 12)
    window_open = _enrolled_at(site1, therapist, 25, 13)
    withdrawn = _enrolled_at(site1, therapist, 28, 14)
    _enrolled_at(site1, therapist, 10, 15)  # D1's window not yet open
    participant_withdraw(
        actor=investigator,
        participant=withdrawn,
        withdrawn_on=_today(),
        category=Participant.WithdrawalCategory.PARTICIPANT,
        details="",
        expected_version=withdrawn.version,
    )
    at_hand = sessions_at_hand(user=therapist)
    due = {s.visit.participant.study_code: s.due for s in at_hand}
    assert due == {
        due_today.study_code: "today",
        due_since.study_code: "since",
        window_open.study_code: "open",
    }
    page = login(therapist).get(reverse("home")).content.decode()
    page = page.split('data-testid="sessions-at-hand"', 1)[1].split("</ul>", 1)[0]
    assert "due today" in page
    target = _today() - datetime.timedelta(days=3)
    assert f"due since {target:%d %b}" in page
    assert f"window open, target {_today() + datetime.timedelta(days=3):%d %b}" in page
    assert withdrawn.study_code not in page


def test_the_flowsheet_of_a_withdrawn_participant_offers_no_start(
    login, therapist, investigator, session1
):
    participant = session1.visit.participant
    withdrawn_on = session1.visit.window_start - datetime.timedelta(days=5)
    participant_withdraw(
        actor=investigator,
        participant=participant,
        withdrawn_on=withdrawn_on,
        category=Participant.WithdrawalCategory.PARTICIPANT,
        details="",
        expected_version=participant.version,
    )
    page = login(therapist).get(reverse("sessions_app:flowsheet", args=[session1.pk]))
    content = page.content.decode()
    assert "Start the session" not in content
    assert f"{participant.study_code} is withdrawn since {withdrawn_on:%d %b %Y}" in content


def test_a_session_held_by_the_day_of_withdrawal_can_still_be_entered(
    login, therapist, investigator, session1
):
    participant = session1.visit.participant
    held_on = session1.visit.target_date
    participant_withdraw(
        actor=investigator,
        participant=participant,
        withdrawn_on=held_on,
        category=Participant.WithdrawalCategory.PARTICIPANT,
        details="",
        expected_version=participant.version,
    )
    page = login(therapist).get(reverse("sessions_app:flowsheet", args=[session1.pk]))
    assert "Start the session" in page.content.decode()
    nine = datetime.time(9, 0)
    with pytest.raises(ValidationError, match="withdrawn from the study on"):
        flowsheet.dosing_session_start(
            actor=therapist,
            session=session1,
            started_at=timezone.make_aware(
                datetime.datetime.combine(held_on + datetime.timedelta(days=1), nine)
            ),
            lead_therapist=therapist,
            co_therapist=investigator,
            expected_version=session1.version,
        )
    flowsheet.dosing_session_start(
        actor=therapist,
        session=session1,
        started_at=timezone.make_aware(datetime.datetime.combine(held_on, nine)),
        lead_therapist=therapist,
        co_therapist=investigator,
        expected_version=session1.version,
    )
    session1.refresh_from_db()
    assert session1.status == DosingSession.Status.IN_PROGRESS


def test_a_data_manager_sees_the_reason_for_withdrawal_but_not_its_details(
    login, investigator, sponsor, monitor, participant1
):
    participant_withdraw(
        actor=investigator,
        participant=participant1,
        withdrawn_on=_today(),
        category=Participant.WithdrawalCategory.OTHER,
        details="Moving to Leeds with family",
        expected_version=participant1.version,
    )
    url = reverse("participants:detail", args=[participant1.pk])
    page = login(sponsor).get(url).content.decode()
    assert "Other" in page and "Moving to Leeds" not in page
    assert "Moving to Leeds" in login(monitor).get(url).content.decode()


def test_the_withdraw_button_follows_the_role_at_the_participants_site(
    login, therapist, participant2, site2
):
    # An investigator elsewhere, but a therapist at site 2: no button on site 2's participants.
    other = SiteFactory(study=site2.study)
    MembershipFactory(user=therapist, role=Role.INVESTIGATOR, site=other, study=other.study)
    MembershipFactory(user=therapist, role=Role.THERAPIST, site=site2, study=site2.study)
    page = login(therapist).get(reverse("participants:detail", args=[participant2.pk]))
    assert page.status_code == 200
    assert "Withdraw from the study" not in page.content.decode()


def test_set_status_refuses_a_withdrawal_without_its_day_and_reason(therapist, participant1):
    with pytest.raises(ValueError, match="participant_withdraw"):
        participant_set_status(
            actor=therapist, participant=participant1, status="withdrawn", reason="x"
        )

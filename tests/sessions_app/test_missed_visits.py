"""A visit that did not take place is recorded as missed, with its reason, instead of staying
overdue; a missed dosing session takes its integration sessions with it."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.models import LogEntry
from sessions_app.models import DosingSession, Visit
from sessions_app.selectors import sessions_at_hand
from sessions_app.services import flowsheet
from sessions_app.services.visits import (
    visit_mark_held,
    visit_mark_missed,
    visit_schedule_create,
)
from tests.participants.factories import EnrolledParticipantFactory

pytestmark = pytest.mark.django_db


def _visit(participant, code):
    return Visit.objects.select_related("participant").get(participant=participant, code=code)


def _url(visit):
    return reverse("sessions_app:visit_missed", args=[visit.pk])


def _row(page, code):
    return page.content.decode().split(f'data-testid="visit-{code}"', 1)[1].split("</tr>")[0]


def test_a_therapist_records_a_missed_visit_with_its_reason(login, therapist, course1):
    participant = course1[0].participant
    p2 = _visit(participant, "P2")
    client = login(therapist)
    course = client.get(reverse("participants:detail", args=[participant.pk]))
    assert "overdue" in _row(course, "P2") and "Record missed" in _row(course, "P2")
    response = client.post(_url(p2), {"version": p2.version, "reason": "Participant unwell"})
    assert response.status_code == 302
    p2.refresh_from_db()
    assert (p2.status, p2.missed_reason) == (Visit.Status.MISSED, "Participant unwell")
    entry = LogEntry.objects.get_for_object(p2).latest("seq")
    assert entry.actor == therapist and entry.reason == "Visit missed: Participant unwell"
    row = _row(client.get(reverse("participants:detail", args=[participant.pk])), "P2")
    assert "missed" in row and "Participant unwell" in row
    assert "overdue" not in row and "Record missed" not in row


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_missed_visit_needs_a_reason(login, therapist, course1, reason):
    p2 = _visit(course1[0].participant, "P2")
    response = login(therapist).post(_url(p2), {"version": p2.version, "reason": reason})
    assert response.status_code == 200
    assert "Say why the visit did not take place." in response.context["form"].errors["reason"]
    p2.refresh_from_db()
    assert p2.status == Visit.Status.SCHEDULED


def test_a_stale_form_is_refused_with_the_reason_kept(login, therapist, course1):
    p2 = _visit(course1[0].participant, "P2")
    client = login(therapist)
    data = {"version": p2.version, "reason": "Typed first"}
    p2.save()  # someone else saved the visit in between
    response = client.post(_url(p2), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert "changed by someone else" in str(form.non_field_errors())
    assert form.data["reason"] == "Typed first"
    p2.refresh_from_db()
    assert p2.status == Visit.Status.SCHEDULED


def test_a_missed_dosing_session_takes_its_integration_sessions_and_cannot_start(
    therapist, investigator, course1
):
    participant = course1[0].participant
    d1 = _visit(participant, "D1")
    visit_mark_missed(
        actor=therapist, visit=d1, reason="Positive pregnancy test", expected_version=d1.version
    )
    integrations = Visit.objects.filter(participant=participant, code__startswith="I1.")
    assert {(v.status, v.missed_reason) for v in integrations} == {
        (Visit.Status.MISSED, "Dosing 1 was missed")
    }
    assert _visit(participant, "I2.1").status == Visit.Status.SCHEDULED
    session = DosingSession.objects.get(visit=d1)
    with pytest.raises(flowsheet.FlowsheetError, match="recorded as missed"):
        flowsheet.dosing_session_start(
            actor=therapist,
            session=session,
            started_at=timezone.now() - datetime.timedelta(hours=1),
            lead_therapist=therapist,
            co_therapist=investigator,
            deviation_explanation="Late",
            expected_version=session.version,
        )


def test_a_started_session_or_a_window_not_yet_open_is_not_missed(
    therapist, started_session, site1
):
    d1 = started_session.visit
    with pytest.raises(ValidationError, match="already recorded as held"):  # on its start
        visit_mark_missed(actor=therapist, visit=d1, reason="x", expected_version=d1.version)
    newcomer = EnrolledParticipantFactory(site=site1, enrolled_on=timezone.localdate())
    p1 = visit_schedule_create(actor=therapist, participant=newcomer)[0]
    with pytest.raises(ValidationError, match="window opens on"):
        visit_mark_missed(actor=therapist, visit=p1, reason="x", expected_version=p1.version)


def test_a_missed_visit_that_took_place_after_all_is_recorded_held_with_a_reason(
    login, therapist, course1
):
    p2 = _visit(course1[0].participant, "P2")
    p2 = visit_mark_missed(actor=therapist, visit=p2, reason="No show", expected_version=p2.version)
    client = login(therapist)
    url = reverse("sessions_app:visit_held", args=[p2.pk])
    data = {"version": p2.version, "held_on": p2.target_date.isoformat()}
    response = client.post(url, data)
    assert "already recorded as missed" in str(response.context["form"].errors["reason"])
    response = client.post(url, {**data, "reason": "Came the same afternoon"})
    assert response.status_code == 302
    p2.refresh_from_db()
    assert (p2.status, p2.missed_reason) == (Visit.Status.HELD, "")


def test_only_site_staff_record_missed_visits(login, monitor, sponsor, therapist2, course1):
    p2 = _visit(course1[0].participant, "P2")
    data = {"version": p2.version, "reason": "x"}
    assert login(monitor).post(_url(p2), data).status_code == 403
    assert login(sponsor).post(_url(p2), data).status_code in (403, 404)
    assert login(therapist2).post(_url(p2), data).status_code == 404
    p2.refresh_from_db()
    assert p2.status == Visit.Status.SCHEDULED


def test_a_held_visit_cannot_be_recorded_missed(therapist, course1):
    p1 = _visit(course1[0].participant, "P1")
    p1 = visit_mark_held(actor=therapist, visit=p1, held_on=p1.target_date)
    with pytest.raises(ValidationError, match="already recorded as held"):
        visit_mark_missed(actor=therapist, visit=p1, reason="x", expected_version=p1.version)


def test_the_flowsheet_says_why_a_session_cannot_start_instead_of_offering_it(
    login, therapist, course1
):
    participant = course1[0].participant
    d1 = _visit(participant, "D1")
    session = DosingSession.objects.get(visit=d1)
    url = reverse("sessions_app:flowsheet", args=[session.pk])
    client = login(therapist)
    assert "Start the session" in client.get(url).content.decode()
    visit_mark_missed(actor=therapist, visit=d1, reason="Flu", expected_version=d1.version)
    page = client.get(url).content.decode()
    assert "Start the session" not in page
    assert "Dosing 1 was recorded as missed, so its session cannot be started: Flu" in page


def test_a_missed_dosing_session_is_not_offered_as_due(therapist, site1):
    participant = EnrolledParticipantFactory(
        site=site1, enrolled_on=timezone.localdate() - datetime.timedelta(days=28)
    )
    visit_schedule_create(actor=therapist, participant=participant)
    assert [s.visit.code for s in sessions_at_hand(user=therapist)] == ["D1"]
    d1 = _visit(participant, "D1")
    visit_mark_missed(actor=therapist, visit=d1, reason="Flu", expected_version=d1.version)
    assert sessions_at_hand(user=therapist) == []


def test_a_missed_visit_is_held_after_all_only_with_a_reason(therapist, course1):
    p2 = _visit(course1[0].participant, "P2")
    p2 = visit_mark_missed(actor=therapist, visit=p2, reason="No show", expected_version=p2.version)
    with pytest.raises(ValidationError) as refused:
        visit_mark_held(actor=therapist, visit=p2, held_on=p2.target_date)
    assert "say why it is now recorded as held" in str(refused.value.message_dict["reason"])
    p2.refresh_from_db()
    assert p2.status == Visit.Status.MISSED


def test_a_visit_missed_in_error_is_expected_again_with_its_integration_sessions(
    login, therapist, course1
):
    participant = course1[0].participant
    d1 = _visit(participant, "D1")
    d1 = visit_mark_missed(
        actor=therapist, visit=d1, reason="Wrong row", expected_version=d1.version
    )
    client = login(therapist)
    row = _row(client.get(reverse("participants:detail", args=[participant.pk])), "D1")
    assert "Not missed?" in row
    response = client.post(_url(d1), {"version": d1.version, "reason": ""})
    assert "Say why the visit was recorded as missed in error." in str(
        response.context["form"].errors["reason"]
    )
    response = client.post(_url(d1), {"version": d1.version, "reason": "Clicked the wrong visit"})
    assert response.status_code == 302
    visits = Visit.objects.filter(participant=participant, code__in=["D1", "I1.1", "I1.2", "I1.3"])
    assert {(v.status, v.missed_reason) for v in visits} == {(Visit.Status.SCHEDULED, "")}
    entry = LogEntry.objects.get_for_object(_visit(participant, "D1")).latest("seq")
    assert entry.reason == "Not missed: Clicked the wrong visit"


def test_a_data_manager_sees_that_a_visit_was_missed_but_not_the_reason(
    login, therapist, sponsor, course1
):
    participant = course1[0].participant
    p2 = _visit(participant, "P2")
    visit_mark_missed(
        actor=therapist, visit=p2, reason="Staying with her sister", expected_version=p2.version
    )
    page = login(sponsor).get(reverse("participants:detail", args=[participant.pk]))
    assert page.status_code == 200
    assert "missed" in _row(page, "P2")
    assert "Staying with her sister" not in page.content.decode()


def test_the_participants_history_shows_visits_recorded_missed(login, therapist, course1):
    participant = course1[0].participant
    p2 = _visit(participant, "P2")
    visit_mark_missed(actor=therapist, visit=p2, reason="Bus strike", expected_version=p2.version)
    page = login(therapist).get(reverse("participants:history", args=[participant.pk]))
    assert "Visit missed: Bus strike" in page.content.decode()

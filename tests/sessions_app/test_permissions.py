"""Who may do what with a site's sessions, alerts and notes (RoleBackend, per record)."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import Role
from sessions_app.models import IntegrationNote, Visit, VitalSignAlert
from sessions_app.services import flowsheet
from sessions_app.services.visits import visit_schedule_create
from tests.accounts.factories import MembershipFactory, StudyFactory, UserFactory

pytestmark = pytest.mark.django_db

SESSION_VIEW = "sessions_app.view_dosingsession"
SESSION_CHANGE = "sessions_app.change_dosingsession"
SIGN = "sessions_app.sign_dosingsession"
READING_ADD = "sessions_app.add_vitalsignreading"
ALERT_VIEW = "sessions_app.view_vitalsignalert"
ALERT_ACK = "sessions_app.acknowledge_vitalsignalert"
NOTE_VIEW = "sessions_app.view_integrationnote"
NOTE_ADD = "sessions_app.add_integrationnote"
NOTE_CHANGE = "sessions_app.change_integrationnote"
ALL_PERMS = [
    SESSION_VIEW,
    SESSION_CHANGE,
    SIGN,
    READING_ADD,
    ALERT_VIEW,
    ALERT_ACK,
    NOTE_VIEW,
    NOTE_ADD,
    NOTE_CHANGE,
]


@pytest.fixture
def alert(started_session, therapist):
    reading = flowsheet.vital_sign_record(
        actor=therapist,
        session=started_session,
        measured_at=timezone.now() - datetime.timedelta(minutes=5),
        pulse=130,
    )
    return VitalSignAlert.objects.get(reading=reading)


@pytest.fixture
def note(course1):
    """An (unsaved) note of participant1's first integration visit: permissions need its site."""
    return IntegrationNote(visit=next(v for v in course1 if v.code == "I1.1"))


@pytest.fixture
def site2_session(participant2, therapist2):
    visits = visit_schedule_create(actor=therapist2, participant=participant2)
    return next(v for v in visits if v.code == "D1").dosing_session


def _perms(user, obj):
    return {perm for perm in ALL_PERMS if user.has_perm(perm, obj)}


@pytest.mark.parametrize("who", ["therapist", "investigator"])
def test_site_staff_view_and_change_their_sites_sessions(request, who, session1, site2_session):
    user = request.getfixturevalue(who)
    assert user.has_perm(SESSION_VIEW, session1)
    assert user.has_perm(SESSION_CHANGE, session1)
    assert user.has_perm(READING_ADD, session1)
    assert not user.has_perm(SESSION_VIEW, site2_session)
    assert not user.has_perm(SESSION_CHANGE, site2_session)
    assert not user.has_perm(READING_ADD, site2_session)


@pytest.mark.parametrize("who", ["therapist", "investigator"])
def test_site_staff_see_their_sites_alerts_and_notes(request, who, alert, note):
    user = request.getfixturevalue(who)
    assert user.has_perm(ALERT_VIEW, alert)
    assert user.has_perm(NOTE_VIEW, note)
    assert user.has_perm(NOTE_ADD, note)
    assert user.has_perm(NOTE_CHANGE, note)


def test_only_the_investigator_signs_sessions(session1, therapist, investigator, monitor, sponsor):
    assert investigator.has_perm(SIGN, session1)
    for user in (therapist, monitor, sponsor):
        assert not user.has_perm(SIGN, session1), user.username


def test_the_investigator_signs_only_at_their_own_site(investigator, site2_session):
    assert not investigator.has_perm(SIGN, site2_session)


def test_the_monitor_reviews_sessions_and_alerts_but_not_notes(
    monitor, session1, site2_session, alert, note
):
    assert _perms(monitor, session1) == {SESSION_VIEW, ALERT_VIEW, ALERT_ACK}
    assert monitor.has_perm(SESSION_VIEW, site2_session)  # study-wide
    assert monitor.has_perm(ALERT_VIEW, alert)
    assert monitor.has_perm(ALERT_ACK, alert)
    assert not monitor.has_perm(NOTE_VIEW, note)
    assert not monitor.has_perm(NOTE_VIEW)  # not through any role at all


def test_the_sponsor_has_no_session_alert_or_note_permissions(sponsor, session1, alert, note):
    assert _perms(sponsor, session1) == set()
    assert _perms(sponsor, alert) == set()
    assert _perms(sponsor, note) == set()
    for perm in ALL_PERMS:
        assert not sponsor.has_perm(perm), perm


def test_a_therapist_of_another_site_has_nothing_on_this_sites_session(
    therapist2, session1, alert, note, site2_session
):
    assert _perms(therapist2, session1) == set()
    assert _perms(therapist2, alert) == set()
    assert _perms(therapist2, note) == set()
    assert therapist2.has_perm(SESSION_CHANGE, site2_session)


def test_a_monitor_of_another_study_has_nothing_on_this_studys_session(session1, alert):
    other = UserFactory(username="other_monitor")
    MembershipFactory(user=other, role=Role.MONITOR, site=None, study=StudyFactory(code="OTHER"))
    assert _perms(other, session1) == set()
    assert _perms(other, alert) == set()


def test_a_deactivated_membership_grants_nothing(therapist, session1):
    membership = therapist.memberships.get()
    membership.is_active = False
    membership.save()
    therapist = type(therapist).objects.get(pk=therapist.pk)  # a fresh scope
    assert _perms(therapist, session1) == set()


def test_the_study_administrator_has_no_clinical_session_permissions(study_admin, session1, note):
    assert _perms(study_admin, session1) == set()
    assert _perms(study_admin, note) == set()
    assert study_admin.has_perm("sessions_app.change_studysessionsettings")


def test_visits_are_scoped_like_sessions(therapist, therapist2, monitor, course1):
    visit = Visit.objects.get(pk=course1[0].pk)
    assert therapist.has_perm("sessions_app.view_visit", visit)
    assert therapist.has_perm("sessions_app.change_visit", visit)
    assert monitor.has_perm("sessions_app.view_visit", visit)
    assert not monitor.has_perm("sessions_app.change_visit", visit)
    assert not therapist2.has_perm("sessions_app.view_visit", visit)

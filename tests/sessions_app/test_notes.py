"""Integration notes: written by site staff, every view logged, never shown to sponsor roles."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.models import LogEntry
from audit.services import ConcurrentEditError
from sessions_app.models import IntegrationNote, Visit
from sessions_app.selectors import note_visits
from sessions_app.services.notes import integration_note_write

pytestmark = pytest.mark.django_db

NOTE_URLS = ["sessions_app:note", "sessions_app:note_edit", "sessions_app:note_history"]
SECRET = "Spoke about the night of the fire"

NOTE_DATA = {
    "themes": SECRET,
    "participant_report": "Sleeping better since the dosing session",
    "cssrs_ideation": 1,
    "cssrs_behaviour": False,
    "safety_notes": "Passive wish to be dead, no intent; safety plan reviewed",
    "plan": "Continue grounding exercises; next visit in a week",
    "free_text": "Brought a drawing of the garden",
}


@pytest.fixture
def integration_visit(held_dosing_session):
    """participant1's I1.1 visit (the morning after the first dosing session, which was held)."""
    return Visit.objects.get(participant=held_dosing_session.participant, code="I1.1")


@pytest.fixture
def visit_before_dosing(course1):
    """participant1's I1.1 visit while the first dosing session has not started."""
    return Visit.objects.get(participant=course1[0].participant, code="I1.1")


@pytest.fixture
def note(integration_visit, therapist):
    return integration_note_write(
        actor=therapist,
        visit=integration_visit,
        data=NOTE_DATA,
        held_on=integration_visit.target_date,
        expected_version=None,
    )


def _post(visit, **overrides):
    data = {
        "held_on": visit.target_date.isoformat(),
        "deviation_explanation": "",
        "themes": SECRET,
        "participant_report": "Sleeping better since the dosing session",
        "cssrs_ideation": "1",
        "cssrs_behaviour": "no",
        "safety_notes": "",
        "plan": "Continue grounding exercises",
        "free_text": "Brought a drawing of the garden",
    }
    data.update(overrides)
    return data


def _access_entries(note, user):
    return LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS,
        actor=user,
        content_type=ContentType.objects.get_for_model(IntegrationNote),
        object_pk=str(note.pk),
    )


# --- Writing ----------------------------------------------------------------------------------


def test_therapist_writes_note_and_visit_becomes_held(login, therapist, integration_visit):
    url = reverse("sessions_app:note_edit", args=[integration_visit.pk])
    client = login(therapist)
    form_page = client.get(url)
    assert form_page.status_code == 200
    assert b'name="reason"' not in form_page.content  # no reason to write new notes

    response = client.post(url, _post(integration_visit))

    assert response.status_code == 302
    assert response.url == reverse("sessions_app:note", args=[integration_visit.pk])
    note = IntegrationNote.objects.get(visit=integration_visit)
    assert note.themes == SECRET
    assert note.author == therapist
    assert note.cssrs_behaviour is False
    assert note.version == 1
    integration_visit.refresh_from_db()
    assert integration_visit.status == Visit.Status.HELD
    assert integration_visit.held_on == integration_visit.target_date
    created = LogEntry.objects.get(
        action=LogEntry.Action.CREATE,
        content_type=ContentType.objects.get_for_model(IntegrationNote),
        object_pk=str(note.pk),
    )
    assert created.actor == therapist
    assert LogEntry.objects.filter(
        action=LogEntry.Action.UPDATE,
        content_type=ContentType.objects.get_for_model(Visit),
        object_pk=str(integration_visit.pk),
        actor=therapist,
    ).exists()


def test_note_page_without_note_redirects_staff_to_the_form(login, therapist, integration_visit):
    response = login(therapist).get(reverse("sessions_app:note", args=[integration_visit.pk]))
    assert response.status_code == 302
    assert response.url == reverse("sessions_app:note_edit", args=[integration_visit.pk])


def test_notes_only_for_integration_visits(login, therapist, course1):
    dosing = Visit.objects.get(participant=course1[0].participant, code="D1")
    for name in NOTE_URLS:
        assert login(therapist).get(reverse(name, args=[dosing.pk])).status_code == 404
    with pytest.raises(ValidationError):
        integration_note_write(
            actor=therapist,
            visit=dosing,
            data=NOTE_DATA,
            held_on=dosing.target_date,
            expected_version=None,
        )
    assert not IntegrationNote.objects.exists()


def test_service_refuses_other_sites_staff(therapist2, integration_visit):
    with pytest.raises(PermissionDenied):
        integration_note_write(
            actor=therapist2,
            visit=integration_visit,
            data=NOTE_DATA,
            held_on=integration_visit.target_date,
            expected_version=None,
        )
    assert not IntegrationNote.objects.exists()
    integration_visit.refresh_from_db()
    assert integration_visit.status == Visit.Status.SCHEDULED


# --- Only after the dosing session ------------------------------------------------------------


def test_service_refuses_notes_before_the_dosing_session_started(therapist, visit_before_dosing):
    with pytest.raises(ValidationError) as excinfo:
        integration_note_write(
            actor=therapist,
            visit=visit_before_dosing,
            data=NOTE_DATA,
            held_on=visit_before_dosing.target_date,
            expected_version=None,
        )
    assert not hasattr(excinfo.value, "error_dict")  # about the session, not one field
    assert "Dosing 1" in excinfo.value.messages[0]
    assert not IntegrationNote.objects.exists()
    visit_before_dosing.refresh_from_db()
    assert visit_before_dosing.status == Visit.Status.SCHEDULED


def test_service_refuses_notes_held_before_the_dosing_day(therapist, integration_visit):
    dosing_day = integration_visit.dosing_visit.held_on
    with pytest.raises(ValidationError) as excinfo:
        integration_note_write(
            actor=therapist,
            visit=integration_visit,
            data=NOTE_DATA,
            held_on=dosing_day - datetime.timedelta(days=1),
            deviation_explanation="Entered a day early",
            expected_version=None,
        )
    assert "held_on" in excinfo.value.message_dict
    assert f"{dosing_day:%d %b %Y}" in excinfo.value.message_dict["held_on"][0]
    assert not IntegrationNote.objects.exists()


def test_notes_may_be_held_on_the_dosing_day(therapist, integration_visit):
    """Outside I1.1's window (it opens the morning after), but not before the session."""
    dosing_day = integration_visit.dosing_visit.held_on
    note = integration_note_write(
        actor=therapist,
        visit=integration_visit,
        data=NOTE_DATA,
        held_on=dosing_day,
        deviation_explanation="Seen in the evening after the session ended",
        expected_version=None,
    )
    assert note.visit.held_on == dosing_day


def test_notes_open_once_the_dosing_session_has_started(therapist, started_session):
    """A session still in progress (not yet ended) already opens its integration notes."""
    visit = Visit.objects.get(participant=started_session.participant, code="I1.1")
    today = timezone.localdate()
    note = integration_note_write(
        actor=therapist,
        visit=visit,
        data=NOTE_DATA,
        held_on=today,
        deviation_explanation="Seen on the dosing day",
        expected_version=None,
    )
    assert note.visit.held_on == today


def test_service_refuses_moving_the_day_held_before_the_dosing_day(therapist, note):
    dosing_day = note.visit.dosing_visit.held_on
    with pytest.raises(ValidationError) as excinfo:
        integration_note_write(
            actor=therapist,
            visit=note.visit,
            data={"themes": "Changed"},
            held_on=dosing_day - datetime.timedelta(days=2),
            deviation_explanation="Wrong day",
            expected_version=note.version,
            reason="Corrected the day",
        )
    assert "held_on" in excinfo.value.message_dict
    note.refresh_from_db()
    assert note.themes == SECRET
    assert note.visit.held_on == note.visit.target_date


def test_form_is_not_offered_before_the_dosing_session(login, therapist, visit_before_dosing):
    response = login(therapist).get(
        reverse("sessions_app:note_edit", args=[visit_before_dosing.pk])
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-testid="notes-closed"' in content
    assert "once the Dosing 1 session has started" in content
    assert 'name="themes"' not in content


def test_notes_before_the_dosing_session_are_refused_above_the_form_with_input_kept(
    login, therapist, visit_before_dosing
):
    response = login(therapist).post(
        reverse("sessions_app:note_edit", args=[visit_before_dosing.pk]),
        _post(visit_before_dosing, participant_report="Kept report text"),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "once the Dosing 1 session has started" in form.non_field_errors()[0]
    content = response.content.decode()
    assert SECRET in content and "Kept report text" in content
    assert "Brought a drawing of the garden" in content
    assert not IntegrationNote.objects.exists()
    visit_before_dosing.refresh_from_db()
    assert visit_before_dosing.status == Visit.Status.SCHEDULED


def test_day_before_the_dosing_day_is_refused_beside_the_field_with_input_kept(
    login, therapist, integration_visit
):
    early = integration_visit.dosing_visit.held_on - datetime.timedelta(days=1)
    response = login(therapist).post(
        reverse("sessions_app:note_edit", args=[integration_visit.pk]),
        _post(
            integration_visit,
            held_on=early.isoformat(),
            deviation_explanation="Typed the wrong day",
            free_text="Kept free text",
        ),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "cannot have been held before that day" in form.errors["held_on"][0]
    assert not form.non_field_errors()
    content = response.content.decode()
    assert SECRET in content and "Kept free text" in content
    assert f'value="{early.isoformat()}"' in content
    assert not IntegrationNote.objects.exists()


def test_course_offers_write_notes_only_after_the_dosing_session(
    login, therapist, participant1, course1
):
    client = login(therapist)
    url = reverse("participants:detail", args=[participant1.pk])
    i11 = Visit.objects.get(participant=participant1, code="I1.1")
    write_i11 = reverse("sessions_app:note_edit", args=[i11.pk])

    before = client.get(url).content.decode()
    assert write_i11 not in before
    assert 'data-testid="notes-closed-I1.1"' in before


def test_course_offers_write_notes_once_the_dosing_session_was_held(
    login, therapist, participant1, held_dosing_session
):
    i11, i21 = (Visit.objects.get(participant=participant1, code=code) for code in ("I1.1", "I2.1"))
    content = login(therapist).get(reverse("participants:detail", args=[participant1.pk]))
    content = content.content.decode()
    assert reverse("sessions_app:note_edit", args=[i11.pk]) in content
    assert 'data-testid="notes-closed-I1.1"' not in content
    assert reverse("sessions_app:note_edit", args=[i21.pk]) not in content  # D2 still to come
    assert 'data-testid="notes-closed-I2.1"' in content


def test_note_visits_tell_which_notes_are_open_without_queries(
    therapist, held_dosing_session, django_assert_num_queries
):
    d1, d2 = (
        Visit.objects.get(participant=held_dosing_session.participant, code=code)
        for code in ("D1", "D2")
    )
    assert [v.notes_closed_reason for v in note_visits(user=therapist, dosing_visit=d1)] == [""] * 3
    with django_assert_num_queries(2):  # the user's scope, then the visits
        closed = [v.notes_closed_reason for v in note_visits(user=therapist, dosing_visit=d2)]
    assert all("Dosing 2" in reason for reason in closed) and len(closed) == 3


# --- Viewing ----------------------------------------------------------------------------------


def test_note_view_is_access_logged_each_time(login, therapist, note):
    client = login(therapist)
    url = reverse("sessions_app:note", args=[note.visit_id])
    first = client.get(url)
    client.get(url)

    assert first.status_code == 200
    content = first.content.decode()
    assert SECRET in content
    assert "Brought a drawing of the garden" in content  # free text
    assert reverse("sessions_app:flowsheet", args=[note.visit.dosing_visit.dosing_session.pk]) in (
        content
    )
    assert "Dosing 1" in content
    assert reverse("sessions_app:note_history", args=[note.visit_id]) in content
    assert 'data-testid="whoami"' in content
    entries = _access_entries(note, therapist)
    assert entries.count() == 2
    assert entries.first().additional_data == {"viewed": "integration note"}


def test_opening_the_edit_form_is_access_logged(login, therapist, note):
    response = login(therapist).get(reverse("sessions_app:note_edit", args=[note.visit_id]))
    assert response.status_code == 200
    assert SECRET in response.content.decode()
    assert _access_entries(note, therapist).count() == 1


def test_history_shows_changes_to_site_staff(login, investigator, note):
    response = login(investigator).get(reverse("sessions_app:note_history", args=[note.visit_id]))
    assert response.status_code == 200
    assert SECRET in response.content.decode()
    assert _access_entries(note, investigator).exists()


@pytest.mark.parametrize("role", ["monitor", "sponsor", "therapist2"])
@pytest.mark.parametrize("name", NOTE_URLS)
def test_only_the_participants_site_staff_see_notes(request, login, note, role, name):
    user = request.getfixturevalue(role)
    response = login(user).get(reverse(name, args=[note.visit_id]))
    assert response.status_code == 404
    assert SECRET.encode() not in response.content
    assert not _access_entries(note, user).exists()


@pytest.mark.parametrize("role", ["monitor", "sponsor", "therapist2"])
def test_others_cannot_write_notes(request, login, integration_visit, role):
    user = request.getfixturevalue(role)
    client = login(user)
    url = reverse("sessions_app:note_edit", args=[integration_visit.pk])
    assert client.get(reverse("sessions_app:note", args=[integration_visit.pk])).status_code == 404
    assert client.get(url).status_code == 404
    assert client.post(url, _post(integration_visit)).status_code == 404
    assert not IntegrationNote.objects.exists()


@pytest.mark.parametrize("role", ["monitor", "sponsor", "therapist2"])
def test_others_cannot_change_notes(request, login, note, role):
    user = request.getfixturevalue(role)
    response = login(user).post(
        reverse("sessions_app:note_edit", args=[note.visit_id]),
        _post(note.visit, themes="Overwritten", version=note.version, reason="Hijack"),
    )
    assert response.status_code == 404
    note.refresh_from_db()
    assert note.themes == SECRET


def test_pages_need_login(client, note):
    for name in NOTE_URLS:
        response = client.get(reverse(name, args=[note.visit_id]))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


# --- Editing ----------------------------------------------------------------------------------


def test_edit_needs_a_reason(login, therapist, note):
    url = reverse("sessions_app:note_edit", args=[note.visit_id])
    response = login(therapist).post(
        url, _post(note.visit, themes="Revised themes", version=note.version, reason="  ")
    )
    assert response.status_code == 200
    assert "Say why this record is being changed." in response.content.decode()
    assert "Revised themes" in response.content.decode()
    note.refresh_from_db()
    assert note.themes == SECRET


def test_edit_with_reason_is_audited(login, investigator, note):
    url = reverse("sessions_app:note_edit", args=[note.visit_id])
    response = login(investigator).post(
        url,
        _post(note.visit, themes="Revised themes", version=note.version, reason="Typo fixed"),
    )
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.themes == "Revised themes"
    assert note.version == 2
    assert note.author.username == "therapist"  # the author stays; the change is in the trail
    entry = LogEntry.objects.filter(
        action=LogEntry.Action.UPDATE,
        content_type=ContentType.objects.get_for_model(IntegrationNote),
        object_pk=str(note.pk),
    ).get()
    assert entry.reason == "Typo fixed"
    assert entry.actor == investigator


def test_edit_can_correct_the_day_held_with_the_reason(login, therapist, note):
    visit = note.visit
    late = visit.window_end + datetime.timedelta(days=2)
    url = reverse("sessions_app:note_edit", args=[visit.pk])
    client = login(therapist)
    data = _post(visit, held_on=late.isoformat(), version=note.version, reason="Wrong day entered")

    refused = client.post(url, data)
    assert "deviation_explanation" in refused.context["form"].errors

    data["deviation_explanation"] = "Rescheduled after a family emergency"
    assert client.post(url, data).status_code == 302
    visit.refresh_from_db()
    assert visit.held_on == late
    assert visit.deviation_explanation == "Rescheduled after a family emergency"
    entry = LogEntry.objects.filter(
        action=LogEntry.Action.UPDATE,
        content_type=ContentType.objects.get_for_model(Visit),
        object_pk=str(visit.pk),
    ).latest("seq")
    assert entry.reason == "Wrong day entered"


def test_service_refuses_change_without_reason(therapist, note):
    with pytest.raises(ValidationError) as excinfo:
        integration_note_write(
            actor=therapist,
            visit=note.visit,
            data={"themes": "Changed"},
            held_on=note.visit.held_on,
            expected_version=note.version,
        )
    assert "reason" in excinfo.value.message_dict


def test_stale_edit_is_refused_and_input_kept(login, therapist, investigator, note):
    opened_version = note.version
    integration_note_write(
        actor=investigator,
        visit=note.visit,
        data={"plan": "Plan changed meanwhile"},
        held_on=note.visit.held_on,
        expected_version=opened_version,
        reason="Added the plan agreed with the team",
    )
    response = login(therapist).post(
        reverse("sessions_app:note_edit", args=[note.visit_id]),
        _post(note.visit, themes="My late edit", version=opened_version, reason="Clarified"),
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-testid="conflict"' in content
    assert "Someone else saved the notes of this session" in content
    assert "My late edit" in content  # the user's input is kept
    assert "Plan changed meanwhile" in content  # and the saved values are shown
    note.refresh_from_db()
    assert note.themes == SECRET
    assert note.plan == "Plan changed meanwhile"
    assert note.version == opened_version + 1


def test_service_refuses_stale_version(therapist, note):
    with pytest.raises(ConcurrentEditError):
        integration_note_write(
            actor=therapist,
            visit=note.visit,
            data={"themes": "Changed"},
            held_on=note.visit.held_on,
            expected_version=note.version - 1 if note.version > 1 else note.version + 1,
            reason="Late",
        )


def test_second_writer_of_a_new_note_does_not_overwrite(login, therapist, investigator, note):
    """Both opened the empty form; the one who saves second sees the saved notes."""
    with pytest.raises(ConcurrentEditError):
        integration_note_write(
            actor=investigator,
            visit=note.visit,
            data=NOTE_DATA,
            held_on=note.visit.held_on,
            expected_version=None,
        )
    note.refresh_from_db()
    assert note.version == 1


# --- Impossible input -------------------------------------------------------------------------


def test_impossible_input_is_refused_beside_the_field_with_input_kept(
    login, therapist, integration_visit
):
    future = timezone.localdate() + datetime.timedelta(days=3)
    response = login(therapist).post(
        reverse("sessions_app:note_edit", args=[integration_visit.pk]),
        _post(
            integration_visit,
            held_on=future.isoformat(),
            cssrs_ideation="7",
            themes="",
            participant_report="Kept report text",
            free_text="Kept free text",
        ),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "cssrs_ideation" in form.errors
    assert "held_on" in form.errors
    assert "themes" in form.errors
    content = response.content.decode()
    assert "Select a valid choice. 7 is not one of the available choices." in content
    assert "in the future" in content
    assert "Kept report text" in content and "Kept free text" in content
    assert not IntegrationNote.objects.exists()
    integration_visit.refresh_from_db()
    assert integration_visit.status == Visit.Status.SCHEDULED


def test_behaviour_needs_an_explicit_answer(login, therapist, integration_visit):
    data = _post(integration_visit)
    del data["cssrs_behaviour"]
    response = login(therapist).post(
        reverse("sessions_app:note_edit", args=[integration_visit.pk]), data
    )
    assert response.status_code == 200
    assert "cssrs_behaviour" in response.context["form"].errors
    assert not IntegrationNote.objects.exists()


def test_out_of_window_needs_explanation(login, therapist, integration_visit):
    late = integration_visit.window_end + datetime.timedelta(days=4)
    assert late <= timezone.localdate()
    url = reverse("sessions_app:note_edit", args=[integration_visit.pk])
    client = login(therapist)

    refused = client.post(url, _post(integration_visit, held_on=late.isoformat()))
    assert refused.status_code == 200
    assert "deviation_explanation" in refused.context["form"].errors
    assert SECRET in refused.content.decode()
    assert not IntegrationNote.objects.exists()

    accepted = client.post(
        url,
        _post(
            integration_visit,
            held_on=late.isoformat(),
            deviation_explanation="Participant was unwell with flu",
        ),
    )
    assert accepted.status_code == 302
    integration_visit.refresh_from_db()
    assert integration_visit.held_on == late
    assert integration_visit.is_out_of_window
    assert integration_visit.deviation_explanation == "Participant was unwell with flu"
    page = client.get(reverse("sessions_app:note", args=[integration_visit.pk]))
    assert "Participant was unwell with flu" in page.content.decode()


def test_service_surfaces_out_of_window_on_the_explanation(therapist, integration_visit):
    with pytest.raises(ValidationError) as excinfo:
        integration_note_write(
            actor=therapist,
            visit=integration_visit,
            data=NOTE_DATA,
            held_on=integration_visit.window_end + datetime.timedelta(days=4),
            expected_version=None,
        )
    assert "deviation_explanation" in excinfo.value.message_dict
    assert not IntegrationNote.objects.exists()

"""Confidential records (integration notes) keep their values out of every audit listing but
their own history page."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import RequestFactory
from django.urls import reverse

from audit.masking import CONFIDENTIAL_NOTICE, is_confidential
from audit.models import LogEntry
from records.views import RecordHistoryView
from sessions_app.models import IntegrationNote, Visit
from sessions_app.services.notes import integration_note_write
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

SECRET = "Spoke about the night of the fire"
REVISED = "Revisited the fire with less distress"


@pytest.fixture
def note(held_dosing_session, therapist):
    visit = Visit.objects.get(participant=held_dosing_session.participant, code="I1.1")
    note = integration_note_write(
        actor=therapist,
        visit=visit,
        data={
            "themes": SECRET,
            "participant_report": "Sleeping better",
            "cssrs_ideation": 0,
            "cssrs_behaviour": False,
            "safety_notes": "",
            "plan": "Grounding exercises",
            "free_text": "Brought a drawing of the garden",
        },
        held_on=visit.target_date,
        expected_version=None,
    )
    return integration_note_write(
        actor=therapist,
        visit=visit,
        data={"themes": REVISED},
        held_on=visit.target_date,
        expected_version=note.version,
        reason="Themes clarified",
    )


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def _note_entries(note):
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(IntegrationNote), object_pk=str(note.pk)
    ).exclude(action=LogEntry.Action.ACCESS)


def test_integration_notes_are_confidential_and_visits_are_not():
    assert is_confidential(ContentType.objects.get_for_model(IntegrationNote))
    assert not is_confidential(ContentType.objects.get_for_model(Visit))


def test_admin_list_and_entries_of_a_note_do_not_show_its_text(login, superuser, note):
    client = login(superuser)
    listing = client.get(reverse("admin:audit_logentry_changelist"))
    assert listing.status_code == 200
    assert SECRET not in listing.content.decode() and REVISED not in listing.content.decode()
    entries = list(_note_entries(note))
    assert {entry.action for entry in entries} == {LogEntry.Action.CREATE, LogEntry.Action.UPDATE}
    for entry in entries:
        assert SECRET in str(entry.changes) or REVISED in str(entry.changes)  # stored, hashed
        detail = client.get(reverse("admin:audit_logentry_change", args=[entry.pk]))
        assert detail.status_code == 200
        content = detail.content.decode()
        assert SECRET not in content and REVISED not in content
        assert "Brought a drawing" not in content
        assert CONFIDENTIAL_NOTICE.replace("'", "&#x27;") in content
        assert entry.object_repr in content  # which record, and when: still there


def test_admin_shows_the_changes_of_other_records(login, superuser, note):
    visit_entry = (
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Visit),
            object_pk=str(note.visit_id),
            action=LogEntry.Action.UPDATE,
        )
        .order_by("seq")
        .last()
    )
    detail = login(superuser).get(reverse("admin:audit_logentry_change", args=[visit_entry.pk]))
    assert detail.status_code == 200
    content = detail.content.decode()
    assert "held_on" in content
    assert CONFIDENTIAL_NOTICE.replace("'", "&#x27;") not in content


def test_admin_list_cannot_be_filtered_on_the_values(login, superuser, note):
    client = login(superuser)
    url = reverse("admin:audit_logentry_changelist")
    for lookup in ("changes__icontains", "changes_text__icontains", "serialized_data__icontains"):
        response = client.get(url, {lookup: "fire"})
        assert response.status_code == 400, lookup
    assert client.get(url, {"q": "fire"}).content.decode().count("Notes of") == 0


def test_note_history_still_shows_the_changes_to_site_staff(login, therapist, note):
    response = login(therapist).get(reverse("sessions_app:note_history", args=[note.visit_id]))
    assert response.status_code == 200
    content = response.content.decode()
    assert SECRET in content and REVISED in content
    assert 'data-testid="confidential"' not in content


def test_other_history_pages_show_a_notice_instead_of_a_notes_text(therapist, note):
    """A history page that is not the note's own (here one that lists it among other records)."""

    class VisitAndNoteHistory(RecordHistoryView):
        def get_records(self):
            return [note.visit, note]

    request = RequestFactory().get("/")
    request.user = therapist
    response = VisitAndNoteHistory.as_view()(request)
    content = response.rendered_content
    assert SECRET not in content and REVISED not in content
    assert 'data-testid="confidential"' in content
    assert "held on" in content.lower()  # the visit's own changes are shown

"""Source-data verification: marking one record, a dosing session or a visit at once; a change
clearing the mark (and the page saying what changed); who may verify, and who sees what; the
progress figures, and their pages' query counts as data grows."""

import datetime
import itertools
import re
import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import LogEntry
from queries import selectors, services
from queries.models import SourceVerification
from records import queryable
from records.edits import StepRefused
from sessions_app import schedule
from sessions_app.models import DosingSession, IntegrationNote, Visit, VitalSignReading
from sessions_app.services import flowsheet
from sessions_app.services.notes import integration_note_write
from sessions_app.services.visits import visit_schedule_create
from tests.participants.factories import EnrolledParticipantFactory
from tests.sessions_app.factories import (
    dosed_session_of,
    reading_correct,
    session_end,
    supplemental_withhold,
)

pytestmark = pytest.mark.django_db

VERIFY_URL = reverse("queries:sdv_verify")
PROGRESS_URL = reverse("queries:sdv")
NOTE_THEMES = "Spoke about the storm at sea"
NUMBERS = itertools.count(100)


def _post(record, *, parts=False, key=None, **extra):
    data = {
        "record": record._meta.label_lower,
        "id": record.pk,
        "submission_key": str(key or uuid.uuid4()),
        **extra,
    }
    if parts:
        data["parts"] = "all"
    return data


def _records_page(participant) -> str:
    return reverse("queries:sdv_participant", args=[participant.pk])


def _flowsheet(session) -> str:
    return reverse("sessions_app:flowsheet", args=[session.pk])


def _fresh(record):
    return type(record).objects.get(pk=record.pk)


def _strike(reading, therapist):
    return flowsheet.entry_strike_through(
        actor=therapist,
        entry=reading,
        expected_version=reading.version,
        reason="Entered for the wrong participant.",
    )


def test_the_registry_labels_fields_by_their_verbose_names_unless_named(db):
    reading = queryable.of_model(VitalSignReading)
    assert reading.fields["systolic"] == "Systolic (mmHg)"
    assert reading.fields["measured_at"] == "Time measured"
    session = queryable.of_model(DosingSession)
    assert session.fields["started_at"] == "Started"
    assert session.fields["cssrs_pre_ideation"] == "C-SSRS ideation before the dose"
    note = queryable.of_label("sessions_app.integrationnote")
    assert "themes" in note.hidden_fields and "themes" not in note.fields


def test_monitor_marks_a_reading_verified_at_its_version(monitor, reading):
    done = services.source_verify(actor=monitor, record=reading)
    assert (done.marked, done.already, done.skipped) == (1, 0, 0)
    mark = SourceVerification.objects.get()
    assert (mark.record, mark.record_version, mark.verified_by) == (
        reading,
        reading.version,
        monitor,
    )
    assert mark.participant == reading.participant
    assert selectors.sdv_marks_for(records=[_fresh(reading)]).is_verified(_fresh(reading))
    assert LogEntry.objects.get_for_object(mark).filter(action=LogEntry.Action.CREATE).exists()
    mark.record_version += 1
    with pytest.raises(RuntimeError):
        mark.save()
    with pytest.raises(RuntimeError):
        mark.delete()


def test_a_record_verified_already_is_not_marked_again_and_the_monitor_is_told(
    login, monitor, reading
):
    button = f'data-testid="sdv-verify-vitalsignreading-{reading.pk}"'
    assert button in login(monitor).get(_records_page(reading.participant)).content.decode()
    services.source_verify(actor=monitor, record=reading)
    assert button not in login(monitor).get(_records_page(reading.participant)).content.decode()
    with pytest.raises(StepRefused, match="Already verified at its current version"):
        services.source_verify(actor=monitor, record=reading)
    response = login(monitor).post(VERIFY_URL, _post(reading), follow=True)
    assert "Already verified at its current version" in response.content.decode()
    assert SourceVerification.objects.count() == 1


def test_a_correction_clears_the_mark_and_the_pages_name_the_changed_field(
    login, monitor, therapist, reading
):
    login(monitor).post(VERIFY_URL, _post(reading))
    flowsheet_page = login(monitor).get(_flowsheet(reading.session)).content.decode()
    assert 'data-testid="sdv-verified"' in flowsheet_page
    reading_correct(reading, therapist, reason="Typed 172 for 152.", systolic=152)
    reading = _fresh(reading)
    marks = selectors.sdv_marks_for(records=[reading])
    assert not marks.is_verified(reading) and marks.is_cleared(reading)
    (change,) = marks.changes(reading)
    assert "Systolic (mmHg)" in change.fields and "Pulse (bpm)" not in change.fields
    assert change.by == therapist.printed_name
    for page in (_records_page(reading.participant), _flowsheet(reading.session)):
        body = login(monitor).get(page).content.decode()
        assert 'data-testid="sdv-changed">changed since verification' in body, page
        changes = re.search(r'data-testid="sdv-changes">([^<]*)<', body).group(1)
        assert "Systolic (mmHg)" in changes and therapist.printed_name in changes, page
    # Verified again: a new mark; the old one stays as it was.
    response = login(monitor).post(VERIFY_URL, _post(reading))
    assert response.status_code == 302
    assert list(SourceVerification.objects.values_list("record_version", flat=True)) == [1, 2]
    assert selectors.sdv_marks_for(records=[reading]).is_verified(reading)


def test_verifying_a_session_marks_it_and_its_entries_at_once_skipping_those_struck(
    login, monitor, therapist, dosed_session, reading
):
    struck = flowsheet.vital_sign_record(
        actor=therapist,
        session=dosed_session,
        measured_at=timezone.now() - datetime.timedelta(minutes=20),
        pulse=140,
    )
    _strike(struck, therapist)
    flowsheet.observation_record(
        actor=therapist,
        session=dosed_session,
        observed_at=timezone.now() - datetime.timedelta(minutes=10),
        kind="observation",
        text="Restless.",
    )
    page = login(monitor).get(_flowsheet(dosed_session)).content.decode()
    assert f'data-testid="sdv-verify-dosingsession-all-{dosed_session.pk}"' in page
    response = login(monitor).post(
        VERIFY_URL, _post(dosed_session, parts=True, next=_flowsheet(dosed_session))
    )
    assert response.status_code == 302 and response.url == _flowsheet(dosed_session)
    live = [
        dosed_session,
        *dosed_session.readings.filter(voided_at__isnull=True),
        *dosed_session.administrations.filter(voided_at__isnull=True),
        *dosed_session.observations.all(),
    ]
    marked = {(m.content_type.model, m.object_id) for m in SourceVerification.objects.all()}
    assert marked == {(r._meta.model_name, r.pk) for r in live}
    assert ("vitalsignreading", struck.pk) not in marked
    assert len(live) >= 5  # the session, its pre-dose reading, the dose, two readings, a note
    message = login(monitor).get(_flowsheet(dosed_session)).content.decode()
    assert f"{len(live)} records" in message and "1 struck through" in message
    assert message.count('data-testid="sdv-verified"') == len(live)


def test_verifying_a_visit_marks_the_visit_its_session_and_its_entries(
    login, monitor, dosed_session, reading, participant1
):
    visit = Visit.objects.get(pk=dosed_session.visit_id)
    page = login(monitor).get(reverse("participants:detail", args=[participant1.pk]))
    assert f'data-testid="sdv-verify-visit-all-{visit.pk}"' in page.content.decode()
    login(monitor).post(VERIFY_URL, _post(visit, parts=True))
    models = sorted(SourceVerification.objects.values_list("content_type__model", flat=True))
    readings = dosed_session.readings.count()
    assert models == sorted(
        ["visit", "dosingsession", "doseadministration"] + ["vitalsignreading"] * readings
    )
    body = login(monitor).get(reverse("participants:detail", args=[participant1.pk])).content
    assert b'data-testid="sdv-verified"' in body


@pytest.mark.parametrize(
    ("role", "status"),
    [("therapist", 403), ("investigator", 403), ("sponsor", 403), ("therapist2", 404)]
    + [("study_admin", 404)],
)
def test_only_the_monitor_verifies(request, login, reading, role, status):
    user = request.getfixturevalue(role)
    assert login(user).post(VERIFY_URL, _post(reading)).status_code == status
    assert login(user).post(VERIFY_URL, _post(reading.session, parts=True)).status_code == status
    with pytest.raises(PermissionDenied):
        services.source_verify(actor=user, record=reading)
    assert not SourceVerification.objects.exists()


def test_site_staff_see_the_tick_without_a_button_and_another_site_nothing(
    login, monitor, therapist, therapist2, reading
):
    services.source_verify(actor=monitor, record=reading.session, with_parts=True)
    body = login(therapist).get(_flowsheet(reading.session)).content.decode()
    assert 'data-testid="sdv-verified"' in body
    assert "sdv-verify-" not in body and 'action="/queries/sdv/verify/"' not in body
    assert login(therapist).get(_records_page(reading.participant)).status_code == 200
    assert (
        "sdv-verify-"
        not in login(therapist).get(_records_page(reading.participant)).content.decode()
    )
    assert login(therapist2).get(_records_page(reading.participant)).status_code == 404


def test_unknown_records_and_records_not_registered_are_not_found(login, monitor, reading):
    client = login(monitor)
    for data in (
        {"record": "sessions_app.vitalsignreading", "id": "999999"},
        {"record": "accounts.user", "id": str(monitor.pk)},
        {"record": "", "id": ""},
    ):
        assert client.post(VERIFY_URL, data).status_code == 404, data
    assert client.get(VERIFY_URL).status_code == 405
    with pytest.raises(StepRefused):
        services.source_verify(actor=monitor, record=monitor)


def test_a_struck_reading_or_a_visit_not_held_has_nothing_to_verify(
    monitor, therapist, reading, course1
):
    _strike(reading, therapist)
    with pytest.raises(StepRefused, match="Nothing here to verify"):
        services.source_verify(actor=monitor, record=_fresh(reading))
    scheduled = Visit.objects.get(participant=reading.participant, code="D2")
    with pytest.raises(StepRefused, match="Nothing here to verify"):
        services.source_verify(actor=monitor, record=scheduled, with_parts=True)
    assert not SourceVerification.objects.exists()


def test_a_double_submission_makes_one_mark(login, monitor, reading):
    client = login(monitor)
    key = uuid.uuid4()
    first = client.post(VERIFY_URL, _post(reading, key=key))
    second = client.post(VERIFY_URL, _post(reading, key=key))
    assert first.status_code == second.status_code == 302
    assert SourceVerification.objects.count() == 1


def _tally(rows, of):
    (row,) = [row for row in rows if row.of == of]
    return row.total, row.verified, row.cleared


def test_progress_figures_count_verified_changed_and_outstanding_records(
    login, monitor, therapist, reading, participant1, participant2, site1, site2, study
):
    session = reading.session
    before = selectors.sdv_participant_progress(participants=[participant1])[0]
    # Visit D1 (held when its session started), the session, the pre-dose reading, the dose,
    # the reading; the study's other visits are not held yet.
    assert (before.total, before.verified, before.cleared) == (5, 0, 0)
    services.source_verify(actor=monitor, record=session.visit, with_parts=True)
    reading_correct(reading, therapist, reason="Typed 172 for 152.", systolic=152)
    rows = selectors.sdv_participant_progress(participants=[participant1, participant2])
    assert _tally(rows, participant1) == (5, 4, 1)
    assert _tally(rows, participant2) == (0, 0, 0)
    assert rows[0].percent == 80 and rows[1].percent == 100
    sites = selectors.sdv_site_progress(user=monitor)
    assert _tally(sites, site1) == (5, 4, 1) and _tally(sites, site2) == (0, 0, 0)
    assert selectors.sdv_outstanding(participant=participant1) == 1
    study.sdv_required = False
    study.save()
    assert selectors.sdv_outstanding(participant=_fresh(participant1)) == 0

    body = login(monitor).get(PROGRESS_URL).content.decode()
    assert 'data-testid="sdv-verified-count">4 / 5<' in body
    assert 'data-testid="sdv-percent">80%<' in body
    assert _records_page(participant1) in body
    filtered = login(monitor).get(f"{PROGRESS_URL}?site={site2.pk}").content.decode()
    assert "S01-0001" not in filtered and "S02-0001" in filtered
    # Site staff: their own site only.
    staff = login(therapist).get(PROGRESS_URL).content.decode()
    assert "S01-0001" in staff and "S02-0001" not in staff


def test_the_sponsor_sees_counts_only(login, monitor, sponsor, reading, participant1):
    services.source_verify(actor=monitor, record=reading)
    body = login(sponsor).get(PROGRESS_URL).content.decode()
    assert 'data-testid="sdv-verified-count">1 / 5<' in body
    assert _records_page(participant1) not in body
    assert login(sponsor).get(_records_page(participant1)).status_code == 403
    detail = login(sponsor).get(reverse("participants:detail", args=[participant1.pk]))
    assert b"sdv-" not in detail.content


def _note(themes: str) -> dict:
    return {
        "themes": themes,
        "participant_report": "Sleeping better",
        "cssrs_ideation": 0,
        "cssrs_behaviour": False,
        "safety_notes": "",
        "plan": "Grounding exercises",
        "free_text": "",
    }


def test_integration_notes_are_not_verified_by_a_monitor_who_may_not_read_them(
    login, monitor, therapist, investigator, participant1
):
    d1_day = schedule.schedule_dates(participant1.enrolled_on)["D1"].target
    started_at = timezone.make_aware(datetime.datetime.combine(d1_day, datetime.time(9, 0)))
    session = dosed_session_of(
        participant1, therapist, investigator, started_at=started_at, deviation_explanation=""
    )
    supplemental_withhold(session, therapist)
    session_end(session, therapist, ended_at=started_at + datetime.timedelta(hours=8))
    visit = Visit.objects.get(participant=participant1, code="I1.1")
    integration_note_write(
        actor=therapist,
        visit=visit,
        data=_note(NOTE_THEMES),
        held_on=visit.target_date,
        expected_version=None,
    )
    login(monitor).post(VERIFY_URL, _post(visit, parts=True))
    note = IntegrationNote.objects.get(visit=visit)
    assert SourceVerification.objects.filter(object_id=visit.pk).exists()
    assert not SourceVerification.objects.filter(
        content_type__model="integrationnote", object_id=note.pk
    ).exists()
    body = login(monitor).get(_records_page(participant1)).content.decode()
    assert "I1.1 notes" not in body and NOTE_THEMES not in body


def _progress_queries(client) -> tuple[int, int]:
    counts = []
    for url in (PROGRESS_URL, f"{PROGRESS_URL}?page=1"):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured))
    return tuple(counts)


def _page_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _grow(n, site, staff, therapist, monitor, session):
    """`n` more participants at `site` (their schedules, by its `staff`), and as many readings
    of `session`, verified, every other one corrected since."""
    for i in range(n):
        number = next(NUMBERS)
        participant = EnrolledParticipantFactory(
            site=site, study_code=f"S{site.number}-{number:04d}", screening_number=f"X{number}"
        )
        visit_schedule_create(actor=staff, participant=participant)
        reading = flowsheet.vital_sign_record(
            actor=therapist,
            session=session,
            measured_at=timezone.now() - datetime.timedelta(minutes=5 + i),
            pulse=70 + i,
        )
        services.source_verify(actor=monitor, record=reading)
        if i % 2:
            reading_correct(reading, therapist, reason="Re-read.", pulse=71 + i)


def test_the_sdv_pages_keep_their_query_count_as_data_grows(
    login, monitor, therapist, therapist2, sponsor, reading, site1, site2, participant1
):
    session = reading.session
    _grow(2, site1, therapist, therapist, monitor, session)
    pages = [
        PROGRESS_URL,
        _records_page(participant1),
        _flowsheet(session),
        reverse("participants:detail", args=[participant1.pk]),
    ]
    counts = {
        user: [_page_queries(login(user), url) for url in pages] for user in (monitor, therapist)
    }
    sponsor_count = _page_queries(login(sponsor), PROGRESS_URL)
    _grow(12, site1, therapist, therapist, monitor, session)
    _grow(3, site2, therapist2, therapist, monitor, session)
    for user in (monitor, therapist):
        assert [_page_queries(login(user), url) for url in pages] == counts[user], user
    assert _page_queries(login(sponsor), PROGRESS_URL) == sponsor_count


def test_the_progress_page_is_linked_from_the_monitors_home_and_the_worklist(
    login, monitor, therapist, study_admin
):
    for page in (reverse("home"), reverse("queries:list")):
        assert f'href="{PROGRESS_URL}"' in login(monitor).get(page).content.decode(), page
    assert (
        f'href="{PROGRESS_URL}"'
        not in login(study_admin).get(reverse("queries:list")).content.decode()
    )
    assert login(study_admin).get(PROGRESS_URL).status_code == 403

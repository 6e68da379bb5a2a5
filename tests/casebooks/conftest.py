"""Casebook fixtures: participant1's ended first dosing session (tests/sessions_app/conftest.py)
with a reading, a draft adverse event, and ways to sign and lock the casebook."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import Role
from casebooks import services
from participants.models import Casebook
from queries.selectors import sdv_marks_for, sdv_records
from queries.services import source_verify
from safety.services import adverse_event_draft_create
from sessions_app.services import flowsheet
from tests.accounts.factories import MembershipFactory
from tests.sessions_app import conftest as sessions

course1 = sessions.course1
session1 = sessions.session1
started_session = sessions.started_session
attested_session = sessions.attested_session
dosed_session = sessions.dosed_session
withheld = sessions.withheld
ended = sessions.ended


@pytest.fixture
def reading(dosed_session, therapist):
    """A reading of 128/82 mmHg, 20 minutes after the dose (site 1)."""
    return flowsheet.vital_sign_record(
        actor=therapist,
        session=dosed_session,
        measured_at=timezone.now() - datetime.timedelta(minutes=150),
        systolic=128,
        diastolic=82,
        pulse=70,
    )


@pytest.fixture
def adverse_event(participant1, therapist):
    """A draft adverse event of participant1, an hour ago."""
    return adverse_event_draft_create(
        actor=therapist,
        participant=participant1,
        verbatim_term="Headache",
        onset_at=timezone.now() - datetime.timedelta(hours=1),
        description="Mild, after lunch.",
    )


def locked(participant, study_admin) -> Casebook:
    """The participant's casebook locked by `study_admin` now (its signing is tested apart: it
    needs the checklist met, which a course still under way is not)."""
    casebook, _ = Casebook.objects.get_or_create(participant=participant)
    casebook.state = Casebook.State.LOCKED
    casebook.locked_at = timezone.now()
    casebook.locked_by = study_admin
    casebook.save()
    return casebook


def verified(participant, monitor) -> None:
    """Every record of the participant verified against the source by `monitor` now."""
    for row in sdv_records(participant=participant):
        if not sdv_marks_for(records=[row.record]).is_verified(row.record):
            source_verify(actor=monitor, record=row.record)


def signed(participant, investigator, password, *, monitor=None) -> Casebook:
    """The casebook signed by `investigator`, its records verified first (by `monitor`, or by a
    monitor of the study made now) where the study requires source-data verification."""
    if participant.site.study.sdv_required:
        if monitor is None:
            monitor = MembershipFactory(
                role=Role.MONITOR, site=None, study=participant.site.study
            ).user
        verified(participant, monitor)
    return services.casebook_sign(actor=investigator, participant=participant, password=password)

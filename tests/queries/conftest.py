"""Queries fixtures: a reading of participant1's first dosing session, and a query on it."""

import datetime

import pytest
from django.utils import timezone

from queries import services
from sessions_app.services import flowsheet
from tests.sessions_app import conftest as sessions

# participant1's first dosing session, dosed (tests/sessions_app/conftest.py).
course1 = sessions.course1
session1 = sessions.session1
started_session = sessions.started_session
attested_session = sessions.attested_session
dosed_session = sessions.dosed_session


@pytest.fixture
def reading(dosed_session, therapist):
    """A reading of 172/95 mmHg, pulse 88, 30 minutes ago (site 1)."""
    return flowsheet.vital_sign_record(
        actor=therapist,
        session=dosed_session,
        measured_at=timezone.now() - datetime.timedelta(minutes=30),
        systolic=172,
        diastolic=95,
        pulse=88,
    )


@pytest.fixture
def query(reading, monitor):
    """An open query of the monitor on the reading's systolic value."""
    return services.query_raise(
        actor=monitor, record=reading, field_name="systolic", text="Is 172 right? Cuff size?"
    )

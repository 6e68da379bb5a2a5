"""Each therapist attests presence with their own password; the pre-dose checks."""

import pytest
from django.core.exceptions import ValidationError

from audit.services import ConcurrentEditError
from sessions_app.models import DosingSession
from sessions_app.services import flowsheet
from sessions_app.services.flowsheet import FlowsheetError
from tests.sessions_app.factories import log_entries_of, predose_checks

pytestmark = pytest.mark.django_db


# --- Presence and pre-dose checks -------------------------------------------------------------


def test_each_therapist_attests_presence_with_their_own_password(
    started_session, therapist, investigator, password
):
    flowsheet.presence_attest(
        actor=therapist, session=started_session, role="lead", password=password
    )
    flowsheet.presence_attest(
        actor=therapist, session=started_session, role="co", password=password
    )
    started_session.refresh_from_db()
    assert started_session.lead_attested_at is not None
    assert started_session.co_attested_at is not None
    reasons = set(log_entries_of(started_session).values_list("reason", flat=True))
    assert f"{investigator.printed_name} attests presence" in reasons


def test_presence_with_a_wrong_password_is_refused(
    started_session, therapist, investigator, password
):
    investigator.set_password("investigators-own-pw-9")
    investigator.save()
    with pytest.raises(ValidationError) as caught:
        # The therapist's password does not attest the co-therapist's presence.
        flowsheet.presence_attest(
            actor=therapist, session=started_session, role="co", password=password
        )
    assert "password" in caught.value.message_dict
    with pytest.raises(ValidationError):
        flowsheet.presence_attest(
            actor=therapist, session=started_session, role="lead", password="wrong"
        )
    started_session.refresh_from_db()
    assert started_session.lead_attested_at is None
    assert started_session.co_attested_at is None


def test_presence_before_the_start_is_refused(session1, therapist, password):
    with pytest.raises(FlowsheetError):
        flowsheet.presence_attest(actor=therapist, session=session1, role="lead", password=password)


def test_predose_checks_are_recorded(checked):
    assert checked.predose_done
    assert checked.pregnancy_test == DosingSession.PregnancyTest.NEGATIVE
    assert checked.cssrs_pre_ideation == 1
    assert checked.predose_checked_at is not None


def test_predose_checks_before_the_start_are_refused(session1, therapist):
    with pytest.raises(FlowsheetError):
        predose_checks(session1, therapist)


def test_predose_checks_from_a_stale_form_are_refused(checked, therapist):
    with pytest.raises(ConcurrentEditError):
        predose_checks(checked, therapist, expected_version=checked.version - 1)

"""Building sessions for tests, through the same services the pages use."""

import datetime

from django.utils import timezone

from accounts.models import Role
from audit.models import LogEntry
from sessions_app.models import DoseAdministration, DosingSession
from sessions_app.services import flowsheet
from sessions_app.services.visits import visit_schedule_create
from tests.accounts.factories import TEST_PASSWORD, MembershipFactory, UserFactory


def dosed_session_of(
    participant,
    lead,
    co,
    *,
    started_at=None,
    deviation_explanation="Held on the test day, whatever the window.",
    kit_number="KIT-2001",
) -> DosingSession:
    """The participant's first dosing session, started 3h ago, 120 mg given 10 min later.

    `started_at` another time (inside the visit's window, give no `deviation_explanation`).
    """
    visit_schedule_create(actor=lead, participant=participant)
    session = DosingSession.objects.get(visit__participant=participant, visit__code="D1")
    started_at = started_at or timezone.now() - datetime.timedelta(hours=3)
    flowsheet.dosing_session_start(
        actor=lead,
        session=session,
        started_at=started_at,
        lead_therapist=lead,
        co_therapist=co,
        deviation_explanation=deviation_explanation,
        expected_version=session.version,
    )
    for role in ("lead", "co"):
        flowsheet.presence_attest(actor=lead, session=session, role=role, password=TEST_PASSWORD)
    session.refresh_from_db()
    return predose_and_dose(session, lead, kit_number=kit_number)


def predose_and_dose(session, actor, *, kit_number="KIT-2001", temperature=None, suds=None):
    """Pre-dose checks, pre-dose vitals 5 min after the start and 120 mg at 10 min, by `actor`."""
    flowsheet.predose_checks_record(
        actor=actor,
        session=session,
        pregnancy_test=DosingSession.PregnancyTest.NOT_APPLICABLE,
        cssrs_pre_ideation=0,
        cssrs_pre_behaviour=False,
        expected_version=session.version,
    )
    flowsheet.vital_sign_record(
        actor=actor,
        session=session,
        measured_at=session.started_at + datetime.timedelta(minutes=5),
        systolic=122,
        diastolic=78,
        pulse=72,
        temperature=temperature,
        suds=suds,
    )
    flowsheet.dose_initial_administer(
        actor=actor,
        session=session,
        dose_mg=120,
        kit_number=kit_number,
        administered_at=session.started_at + datetime.timedelta(minutes=10),
    )
    session.refresh_from_db()
    return session


def initial_of(session) -> DoseAdministration:
    return session.administrations.get(kind="initial")


def supplemental_of(session) -> DoseAdministration:
    """The session's live supplemental dose (not struck through as entered in error)."""
    return session.administrations.get(kind="supplemental", voided_at__isnull=True)


def supplemental_withhold(session, actor, *, reason="Blood pressure rising.") -> DosingSession:
    """The session's supplemental dose withheld by `actor`, for `reason`."""
    flowsheet.supplemental_decide(
        actor=actor,
        session=session,
        decision=DosingSession.Supplemental.WITHHOLD,
        reason=reason,
    )
    session.refresh_from_db()
    return session


def session_end(session, actor, *, ended_at, **overrides) -> DosingSession:
    """The session ended at `ended_at`: C-SSRS 0, no behaviour, ready for the overnight stay.

    `overrides` replace any of the end form's values (`expected_version` among them).
    """
    values = {
        "ended_at": ended_at,
        "cssrs_post_ideation": 0,
        "cssrs_post_behaviour": False,
        "overnight_ready": True,
        "overnight_note": "",
        "expected_version": session.version,
    }
    values.update(overrides)
    flowsheet.dosing_session_end(actor=actor, session=session, **values)
    session.refresh_from_db()
    return session


def reading_correct(reading, actor, *, reason, **values):
    """Correct `reading` to `values` from its current version, for `reason`."""
    return flowsheet.vital_sign_correct(
        actor=actor,
        reading=reading,
        values=values,
        expected_version=reading.version,
        reason=reason,
    )


def monitor_of(username, study, **user_fields):
    """A study-wide monitor of `study` (no site), `user_fields` set on the user."""
    user = UserFactory(username=username, **user_fields)
    MembershipFactory(user=user, role=Role.MONITOR, site=None, study=study)
    return user


def predose_checks(session, actor, **overrides):
    """Pre-dose checks (negative pregnancy test, C-SSRS 0) from the session's current version."""
    values = {
        "pregnancy_test": DosingSession.PregnancyTest.NEGATIVE,
        "cssrs_pre_ideation": 0,
        "cssrs_pre_behaviour": False,
        "expected_version": session.version,
    }
    values.update(overrides)
    flowsheet.predose_checks_record(actor=actor, session=session, **values)
    session.refresh_from_db()


def initial_dose_at(session: DosingSession) -> datetime.datetime:
    """When the session's initial dose was given."""
    return session.administrations.get(kind=DoseAdministration.Kind.INITIAL).administered_at


def reading_record(session, actor, at, **values):
    """A reading of `values` measured at `at`, recorded by `actor`."""
    return flowsheet.vital_sign_record(actor=actor, session=session, measured_at=at, **values)


def withhold_and_end(session, actor, ended_at, **kwargs):
    """Withhold the supplemental dose, then end the session at `ended_at`."""
    supplemental_withhold(session, actor, reason="Participant settled; not needed.")
    return session_end(session, actor, ended_at=ended_at, **kwargs)


def log_entries_of(instance):
    """The audit trail's entries about `instance`."""
    return LogEntry.objects.get_for_object(instance)

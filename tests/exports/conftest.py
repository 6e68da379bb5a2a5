"""A study seeded with identity everywhere it could leak into an export, and the export's ZIP."""

import datetime
import zipfile

import pytest
from django.utils import timezone

from accounts.models import Role
from participants.models import ParticipantIdentity
from safety import review
from safety.models import AdverseEventReview
from sessions_app.models import Observation
from sessions_app.services import flowsheet
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.safety.factories import submitted
from tests.screening.factories import StudyScreeningConfigFactory, screened_attempt
from tests.sessions_app.factories import dosed_session_of, reading_record

ALICE = {
    "given_name": "Alice",
    "family_name": "Ashdown",
    "date_of_birth": datetime.date(1985, 3, 12),
    "phone": "+44 20 7946 0321",
    "email": "alice.ashdown@example.org",
    "address_line": "17 Quenby Lane",
    "city": "Wrexford",
    "postal_code": "WX4 9QT",
    "country": "United Kingdom",
    "support_contact_name": "Maud Pellinore",
    "support_contact_phone": "+44 20 7946 0777",
}

# Free text typed into participant1's records: none of it may reach an export.
FREE_TEXT = {
    "description": "Felt queasy at the dose; Alice Ashdown of 17 Quenby Lane said so herself.",
    "treatment": "Ondansetron given by mouth, phoned Maud Pellinore on +44 20 7946 0777.",
    "observation": "Participant Alice (born 12/03/1985) tearful, settled after breathing work.",
    "deviation": "Held on the test day, whatever the window.",
}
# The monitor's lowest level term, typed with her name in it: exported without it.
LLT_TERM = "Nausea of Alice Ashdown"
# The verbatim term names the participant: exported only with her identity removed.
VERBATIM = "Nausea; alice ASHDOWN called from +44 20 7946 0321, born 12 March 1985"


def identity_values(identity: ParticipantIdentity) -> list[str]:
    """Every identity value as someone might search the export for it."""
    born = identity.date_of_birth
    values = [
        identity.given_name,
        identity.family_name,
        born.isoformat(),
        f"{born:%d/%m/%Y}",
        f"{born.day} {born:%B %Y}",
        f"{born:%B} {born.day}, {born.year}",
        identity.phone,
        identity.email,
        identity.address_line,
        identity.address_line.lstrip("0123456789 "),
        identity.city,
        identity.postal_code,
        identity.support_contact_name,
        *identity.support_contact_name.split(),
        identity.support_contact_phone,
    ]
    return [value for value in values if value]


@pytest.fixture
def staff2(site2):
    """A second clinician at site 2, so that its sessions have two therapists."""
    user = UserFactory(username="investigator2")
    MembershipFactory(user=user, role=Role.INVESTIGATOR, site=site2, study=site2.study)
    return user


@pytest.fixture
def seeded(
    study,
    participant1,
    participant2,
    therapist,
    investigator,
    therapist2,
    staff2,
    password,
    monitor,
):
    """Two dosed participants at two sites (participant1 with a full identity, an adverse event
    and an observation naming her, the event coded by the monitor with a term naming her too),
    and a screened candidate aged over 89."""
    StudyScreeningConfigFactory(study=study)
    identity = ParticipantIdentity.objects.get(participant=participant1)
    for name, value in ALICE.items():
        setattr(identity, name, value)
    identity.save()
    session = dosed_session_of(participant1, therapist, investigator)
    for minutes, systolic in ((100, 150), (130, 171)):
        at = session.started_at + datetime.timedelta(minutes=minutes)
        reading_record(session, therapist, at, systolic=systolic, diastolic=95, pulse=88)
    flowsheet.observation_record(
        actor=therapist,
        session=session,
        observed_at=session.started_at + datetime.timedelta(minutes=40),
        kind=Observation.Kind.OBSERVATION,
        text=FREE_TEXT["observation"],
    )
    event = submitted(
        therapist,
        investigator,
        participant1,
        verbatim_term=VERBATIM,
        description=FREE_TEXT["description"],
        treatment=FREE_TEXT["treatment"],
        dosing_session=session,
        onset_at=session.started_at + datetime.timedelta(minutes=30),
        ended_at=session.started_at + datetime.timedelta(minutes=90),
        aware_at=session.started_at + datetime.timedelta(minutes=35),
    )
    ae_review = AdverseEventReview.objects.get(adverse_event=event)
    review.review_assess(
        actor=monitor,
        review=ae_review,
        expected_version=ae_review.version,
        sponsor_causality="",
        expected=None,
        reference_safety_information=None,
        meddra_llt_code="10028817",
        meddra_llt_term=LLT_TERM,
        meddra_pt_code="10028813",
        meddra_pt_term="Nausea",
        meddra_version="27.1",
    )
    dosed_session_of(
        participant2, therapist2, staff2, started_at=timezone.now() - datetime.timedelta(hours=4)
    )
    screened_attempt(actor=therapist, site=participant1.site, dob=datetime.date(1930, 1, 2))
    return {
        "participant1": participant1,
        "participant2": participant2,
        "session": session,
        "investigator": investigator,
        "therapist2": therapist2,
        "staff2": staff2,
    }


def read_zip(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}

"""No identity in what the medical monitor reads: a reason typed on the identity record is not
shown to them at all, and in every other reason or free text the participant's names, date of
birth and contacts read "[redacted]"; the participant's own site reads the text as typed."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from participants.models import ParticipantIdentity
from participants.services import identity_update
from records.redaction import REDACTED, redact
from records.templatetags.free_text import IDENTITY_REASON_WITHHELD
from sessions_app.models import DosingSession, Observation
from sessions_app.services import flowsheet
from sessions_app.services.visits import visit_schedule_create
from tests.sessions_app.factories import reading_correct

pytestmark = pytest.mark.django_db

BORN = datetime.date(1961, 10, 23)


@pytest.fixture
def identity(participant1):
    identity = ParticipantIdentity.objects.get(participant=participant1)
    identity.date_of_birth = BORN
    identity.phone = "+44 20 7946 0958"
    return identity


@pytest.fixture
def session(participant1, identity, therapist, investigator):
    identity.save()
    visit_schedule_create(actor=therapist, participant=participant1)
    session = DosingSession.objects.get(visit__participant=participant1, visit__code="D1")
    flowsheet.dosing_session_start(
        actor=therapist,
        session=session,
        started_at=timezone.now() - datetime.timedelta(hours=2),
        lead_therapist=therapist,
        co_therapist=investigator,
        deviation_explanation="Held on the test day.",
        expected_version=session.version,
    )
    session.refresh_from_db()
    return session


def test_redact_replaces_whole_words_in_any_case_longest_first():
    strings = ["Alice Ashdown", "Alice", "Ashdown", "1961-10-23"]
    text = "alice ASHDOWN, born 1961-10-23; Alice's sister; Aliceville stays"
    assert redact(text, strings) == (
        f"{REDACTED}, born {REDACTED}; {REDACTED} sister; Aliceville stays"
    )


def test_redact_finds_a_name_with_or_without_its_accents():
    strings = ["Zoë", "Ṡéverine"]
    text = "Zoe and ZOË met Severine; Zoë's note, née Ṡéverine."
    assert redact(text, strings) == (
        "[redacted] and [redacted] met [redacted]; [redacted] note, née [redacted]."
    )
    assert redact("Zoey stays", strings) == "Zoey stays"  # a whole word only


def test_the_date_of_birth_street_and_email_are_found_as_people_shorten_them():
    identity = ParticipantIdentity(
        given_name="Marian",
        family_name="Coleman",
        date_of_birth=datetime.date(1973, 5, 6),
        email="marian.387@example.org",
        address_line="2 Dodd Expressway",
    )
    text = (
        "dob 06.05.73; born 6th May 1973 (May 6th, 1973); lives at 2 Dodd Expy; "
        "mail MARIAN.387@EXAMPLE.ORG or marian.387; pulse 73 at 06:05"
    )
    assert redact(text, identity.identifying_strings()) == (
        "dob [redacted]; born [redacted] ([redacted]); lives at 2 [redacted] Expy; "
        "mail [redacted] or [redacted]; pulse 73 at 06:05"
    )


def test_a_reason_typed_on_the_identity_record_is_not_shown_to_the_monitor(
    login, therapist, monitor, participant1, identity
):
    identity.given_name = "Alicia"
    reason = "Passport says Alicia Ashdown, born 1961-10-23"
    identity_update(
        actor=therapist, identity=identity, expected_version=identity.version, reason=reason
    )
    url = reverse("participants:history", args=[participant1.pk])

    monitor_page = login(monitor).get(url).content.decode()
    assert IDENTITY_REASON_WITHHELD in monitor_page
    assert "Ashdown" not in monitor_page and "1961" not in monitor_page
    assert reason in login(therapist).get(url).content.decode()


def test_identity_in_a_clinical_reason_or_text_is_redacted_for_the_monitor(
    login, therapist, monitor, session
):
    reading = flowsheet.vital_sign_record(
        actor=therapist,
        session=session,
        measured_at=session.started_at + datetime.timedelta(minutes=30),
        systolic=172,
        diastolic=95,
    )
    reading_correct(
        reading, therapist, reason="Alice Ashdown's reading, not her sister's", systolic=175
    )
    flowsheet.observation_record(
        actor=therapist,
        session=session,
        observed_at=session.started_at + datetime.timedelta(minutes=40),
        kind=Observation.Kind.OBSERVATION,
        text="Alice asked to call +44 20 7946 0958 (her partner).",
    )
    pages = [
        reverse("sessions_app:flowsheet", args=[session.pk]),
        reverse("sessions_app:history", args=[session.pk]),
        reverse("sessions_app:alerts"),
    ]
    for url in pages:
        page = login(monitor).get(url).content.decode()
        assert "Alice" not in page and "Ashdown" not in page and "7946" not in page, url
        assert REDACTED in page, url
    staff_flowsheet = login(therapist).get(pages[0]).content.decode()
    assert "Alice asked to call +44 20 7946 0958" in staff_flowsheet


def test_the_identity_form_says_not_to_type_identity_into_the_reason(
    login, therapist, participant1
):
    page = login(therapist).get(reverse("participants:identity_edit", args=[participant1.pk]))
    assert "without the identity itself" in page.content.decode()
    assert 'data-drafts="off"' in page.content.decode()  # nor kept in the browser's tab


def test_identity_is_redacted_however_it_is_written(participant1):
    identity = ParticipantIdentity.objects.get(participant=participant1)
    identity.given_name, identity.family_name = "Marian", "Coleman"
    identity.date_of_birth = datetime.date(1973, 5, 5)
    identity.phone = "+44(0)2074960999"
    identity.postal_code = "PL1 6DU"
    identity.address_line = "12 Dodd Expressway"
    identity.support_contact_name = "Maureen Hill"
    text = (
        "Colemans' phone 020 7496 0999 or 02074960999; PL16DU; born 1973-5-5, 05/05/1973, "
        "May 5, 1973; lives on Dodd Expressway; Maureen called. Measured 1973-05-05T10:00."
    )
    shown = redact(text, identity.identifying_strings())
    for kept in ("Coleman", "7496", "0999", "PL1", "6DU", "1973", "Dodd", "Maureen"):
        assert kept not in shown, (kept, shown)
    assert "Measured" in shown and "phone" in shown

"""The printable SAE report in the CIOMS I layout, as a page and as a PDF made on the server."""

import datetime
import io
import re
from html import unescape

import pytest
from django.urls import reverse
from pypdf import PdfReader

from participants.models import ParticipantIdentity
from records.pdf import fetch_static, static_file
from safety import cioms, services
from safety.models import SERIOUSNESS_CRITERIA, AdverseEvent
from safety.review import review_assess
from sessions_app.services import flowsheet
from tests.accounts.factories import TEST_PASSWORD
from tests.safety.factories import draft, submitted
from tests.sessions_app.factories import dosed_session_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def identity(participant1):
    """participant1's identity, with every contact filled in."""
    person = ParticipantIdentity.objects.get(participant=participant1)
    person.phone = "+44 20 7946 0123"
    person.email = "alice.ashdown@example.org"
    person.date_of_birth = datetime.date(1979, 3, 14)
    person.save()
    return person


@pytest.fixture
def serious(participant1, therapist, investigator, identity):
    """A submitted serious event (hospitalisation and other important event) of participant1's
    first dosing session, opened from a reading, whose description names the participant."""
    session = dosed_session_of(participant1, therapist, investigator)
    reading = flowsheet.vital_sign_record(
        actor=therapist,
        session=session,
        measured_at=session.started_at + datetime.timedelta(minutes=40),
        systolic=182,
        diastolic=101,
        pulse=117,
    )
    return submitted(
        therapist,
        investigator,
        participant1,
        source_reading=reading,
        verbatim_term="Hypertensive urgency",
        description="Alice Ashdown (born 14/03/1979, phone 020 7946 0123) felt chest pressure.",
        onset_at=session.started_at + datetime.timedelta(minutes=40),
        aware_at=session.started_at + datetime.timedelta(minutes=45),
        ended_at=session.started_at + datetime.timedelta(minutes=150),
        serious_hospitalisation=True,
        serious_other_important=True,
        severity_grade=AdverseEvent.Grade.SEVERE,
    )


def _page(client, ae) -> str:
    response = client.get(reverse("safety:ae_cioms", args=[ae.pk]))
    assert response.status_code == 200
    return unescape(response.content.decode())


def _pdf(client, ae):
    return client.get(reverse("safety:ae_cioms_pdf", args=[ae.pk]))


def _pdf_text(response) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def _answers(body: str) -> dict[str, str]:
    """The check boxes of the page: {label: yes / no / unanswered}."""
    found = re.findall(
        r'data-testid="cioms-check" data-answer="(\w+)"><span class="cioms-tick">X?</span> '
        r"([^<(]+)",
        body,
    )
    return {label.strip(): answer for answer, label in found}


def _identity_values(person: ParticipantIdentity) -> list[str]:
    born = person.date_of_birth
    return [
        person.given_name,
        person.family_name,
        person.email,
        person.phone,
        "7946 0123",
        born.isoformat(),
        born.strftime("%d/%m/%Y"),
        born.strftime("%d %b %Y"),
        born.strftime("%d.%m.%Y"),
        person.get_sex_display(),
    ]


def test_investigator_reads_the_study_id_and_seriousness_boxes_as_answered(
    login, investigator, serious
):
    body = _page(login(investigator), serious)

    assert 'data-testid="cioms-box-1"' in body
    box_1 = body.split('data-testid="cioms-box-1"')[1].split('data-testid="cioms-box-1a"')[0]
    assert "S01-0001" in box_1
    assert _answers(body) == {
        "Patient died": "no",
        "Involved or prolonged inpatient hospitalisation": "yes",
        "Involved persistent or significant disability or incapacity": "no",
        "Life threatening": "no",
        "Congenital anomaly or birth defect": "no",
        "Other important medical event": "yes",
        # 24d and 25a.
        "Study": "yes",
        "Literature": "no",
        "Health professional": "no",
        "Other": "no",
        "Initial": "yes",
        "Follow-up": "no",
    }
    assert f"MAPP-TEST-AE{serious.pk}" in body
    # The reading the event was opened from, and the dose of its session.
    assert "Systolic 182 mmHg, Diastolic 101 mmHg, Pulse 117 bpm" in body
    assert "Initial dose: 120 mg, kit KIT-2001" in body
    assert "Not yet assessed by the sponsor" in body
    assert 'data-testid="cioms-draft"' not in body


def test_every_seriousness_criterion_has_its_box():
    assert {name for name, _ in cioms.SERIOUSNESS_BOXES} == {
        name for name, _ in SERIOUSNESS_CRITERIA
    }


def test_no_identity_reaches_the_page_or_the_pdf_not_even_from_the_description(
    login, investigator, monitor, serious, identity
):
    for user in (investigator, monitor):
        client = login(user)
        body = _page(client, serious)
        response = _pdf(client, serious)
        text = _pdf_text(response)
        assert "felt chest pressure" in body and "felt chest pressure" in text
        assert "[redacted]" in body and "[redacted]" in text
        for value in _identity_values(identity):
            assert value not in body, (user, value)
            assert value not in text, (user, value)
            assert value not in response["Content-Disposition"]
        # The sex, the date of birth and the age are written as withheld.
        assert body.count(cioms.WITHHELD) == 3


def test_pdf_is_a_file_named_by_study_and_event(login, investigator, serious):
    response = _pdf(login(investigator), serious)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="CIOMS-MAPP-TEST-AE{serious.pk}.pdf"'
    )
    assert response.content.startswith(b"%PDF")
    assert len(response.content) > 10_000
    text = _pdf_text(response)
    assert "S01-0001" in text
    assert "Hypertensive urgency" in text
    assert "REACTION INFORMATION" in text.upper()


def test_pdf_reads_the_print_stylesheet_from_the_static_files():
    assert static_file("http://testserver/static/css/cioms.css").endswith("css/cioms.css")
    assert b"@page" in fetch_static("http://testserver/static/css/cioms.css")["string"]
    for url in ("http://example.org/x.css", "http://testserver/static/../manage.py"):
        with pytest.raises(ValueError):
            fetch_static(url)


def test_a_draft_is_marked_as_not_submitted(login, therapist, participant1):
    ae = draft(therapist, participant1)
    client = login(therapist)

    body = _page(client, ae)
    assert cioms.DRAFT in body
    assert "Not submitted" in body  # 24c
    response = _pdf(client, ae)
    assert response["Content-Disposition"].endswith(f'AE{ae.pk}-DRAFT.pdf"')
    assert cioms.DRAFT in _pdf_text(response)


def test_follow_up_report_and_sponsor_assessment_are_on_the_form(
    login, therapist, investigator, monitor, serious
):
    report = services.adverse_event_follow_up_save(
        actor=therapist,
        adverse_event=serious,
        reason="Seen again the next day",
        final=False,
        expected_version=serious.version,
        expected_report_version=None,
        treatment="Labetalol",
    )
    services.adverse_event_follow_up_sign(
        actor=investigator,
        adverse_event=serious,
        password=TEST_PASSWORD,
        expected_version=report.version,
    )
    serious.refresh_from_db()
    review_assess(
        actor=monitor,
        review=serious.review,
        expected_version=serious.review.version,
        sponsor_causality=AdverseEvent.Causality.POSSIBLE,
        expected=False,
        reference_safety_information=None,
        meddra_llt_code="10020772",
        meddra_llt_term="Hypertension",
        meddra_pt_code="10020772",
        meddra_pt_term="Hypertension",
        meddra_version="27.1",
    )

    body = _page(login(monitor), serious)

    assert _answers(body)["Follow-up 1"] == "yes"
    assert _answers(body)["Initial"] == "no"
    assert "Treatment given: Labetalol" in body
    assert "Causality to the investigational product: Possible" in body
    assert "Expectedness: unexpected" in body
    assert "MedDRA 27.1: PT 10020772 Hypertension, LLT 10020772 Hypertension" in body


def test_detail_page_links_to_the_report_and_its_pdf(login, investigator, serious):
    body = login(investigator).get(reverse("safety:ae_detail", args=[serious.pk])).content
    assert reverse("safety:ae_cioms", args=[serious.pk]).encode() in body
    assert reverse("safety:ae_cioms_pdf", args=[serious.pk]).encode() in body


@pytest.mark.parametrize("name", ["safety:ae_cioms", "safety:ae_cioms_pdf"])
def test_other_sites_staff_do_not_find_it_and_the_data_manager_is_refused(
    login, therapist2, sponsor, serious, name
):
    url = reverse(name, args=[serious.pk])
    assert login(therapist2).get(url).status_code == 404
    assert login(sponsor).get(url).status_code in (403, 404)

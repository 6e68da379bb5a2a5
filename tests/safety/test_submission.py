"""The investigator's submission: an e-signature (approved) that makes the initial report, once."""

import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.models import Role
from safety import services
from safety.models import AdverseEvent, AdverseEventReport
from signatures.models import Signature
from signatures.selectors import signatures_for
from tests.accounts.factories import MembershipFactory
from tests.safety.factories import draft, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def ae1(therapist, participant1):
    return draft(therapist, participant1, verbatim_term="Jaw clenching")


def _submit_post(ae, password, **overrides):
    return {**form_data(ae), "password": password, **overrides}


def test_the_investigator_signs_the_submission_and_it_becomes_the_initial_report(
    login, investigator, password, ae1
):
    url = reverse("safety:ae_submit", args=[ae1.pk])
    client = login(investigator)
    page = client.get(url).content.decode()
    assert "meaning: <strong>Approved</strong>" in page
    response = client.post(url, _submit_post(ae1, password, treatment="Rest and fluids"))
    assert response.status_code == 302
    ae1.refresh_from_db()
    assert ae1.status == AdverseEvent.Status.SUBMITTED
    assert ae1.treatment == "Rest and fluids"  # the last changes are part of what is signed
    report = AdverseEventReport.objects.get(adverse_event=ae1)
    assert (report.number, report.signed_by, report.final) == (0, investigator, False)
    assert report.changes["treatment"] == {"old": None, "new": "Rest and fluids"}
    assert report.changes["severity_grade"]["new"] == 2
    signature = signatures_for(record=report).get()
    assert signature.meaning == Signature.Meaning.APPROVED
    assert signature.signer == investigator and signature.is_valid_for(report)
    detail = client.get(reverse("safety:ae_detail", args=[ae1.pk])).content.decode()
    assert "Initial report" in detail and "signed by" in detail


def test_a_wrong_password_is_refused_beside_it_and_nothing_is_saved(login, investigator, ae1):
    url = reverse("safety:ae_submit", args=[ae1.pk])
    response = login(investigator).post(
        url, _submit_post(ae1, "not-the-password", treatment="Typed before the password")
    )
    assert response.status_code == 200
    assert "password is not correct" in response.context["form"].errors["password"][0]
    assert "Typed before the password" in response.content.decode()
    ae1.refresh_from_db()
    assert ae1.status == AdverseEvent.Status.DRAFT
    assert ae1.treatment != "Typed before the password"
    assert not AdverseEventReport.objects.exists()
    assert not Signature.objects.exists()


def test_an_incomplete_draft_is_refused_beside_each_missing_answer(
    login, investigator, password, ae1
):
    url = reverse("safety:ae_submit", args=[ae1.pk])
    response = login(investigator).post(
        url, _submit_post(ae1, password, serious_death="", outcome="", ended_at="")
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "nothing is preselected" in errors["serious_death"][0]
    assert errors["outcome"] == [services.REQUIRED["outcome"]]
    assert errors["ended_at"] == [services.END_OR_ONGOING]
    ae1.refresh_from_db()
    assert ae1.status == AdverseEvent.Status.DRAFT


def test_a_therapist_cannot_submit(login, therapist, password, ae1):
    url = reverse("safety:ae_submit", args=[ae1.pk])
    client = login(therapist)
    assert client.get(url).status_code == 403
    assert client.post(url, _submit_post(ae1, password)).status_code == 403
    with pytest.raises(PermissionDenied):
        services.adverse_event_submit(
            actor=therapist, adverse_event=ae1, password=password, expected_version=ae1.version
        )
    ae1.refresh_from_db()
    assert ae1.status == AdverseEvent.Status.DRAFT


def test_another_sites_investigator_meets_not_found(login, site2, password, ae1):
    other = MembershipFactory(role=Role.INVESTIGATOR, site=site2, study=site2.study).user
    for name in ("safety:ae_submit", "safety:ae_follow_up", "safety:ae_follow_up_sign"):
        assert login(other).get(reverse(name, args=[ae1.pk])).status_code == 404, name
    with pytest.raises(PermissionDenied):
        services.adverse_event_submit(
            actor=other, adverse_event=ae1, password=password, expected_version=ae1.version
        )


def test_a_double_submission_makes_one_report(login, investigator, password, ae1):
    url = reverse("safety:ae_submit", args=[ae1.pk])
    client = login(investigator)
    data = _submit_post(ae1, password, submission_key=str(uuid.uuid4()))
    first = client.post(url, data)
    second = client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert second.url == first.url
    assert AdverseEventReport.objects.filter(adverse_event=ae1).count() == 1
    # Without the key (another tab), the service refuses a second submission.
    again = client.post(url, _submit_post(ae1, password, version=ae1.version + 1))
    assert again.status_code == 200
    assert services.ALREADY_SUBMITTED in again.content.decode()
    with pytest.raises(services.AdverseEventError, match="already submitted"):
        services.adverse_event_submit(
            actor=investigator, adverse_event=ae1, password=password, expected_version=2
        )
    assert AdverseEventReport.objects.filter(adverse_event=ae1).count() == 1
    assert Signature.objects.count() == 1


def test_a_submitted_event_is_no_longer_edited_as_a_draft(
    login, therapist, investigator, password, ae1
):
    services.adverse_event_submit(
        actor=investigator, adverse_event=ae1, password=password, expected_version=ae1.version
    )
    ae1.refresh_from_db()
    client = login(therapist)
    response = client.get(reverse("safety:ae_edit", args=[ae1.pk]))
    assert response.status_code == 302
    response = client.post(
        reverse("safety:ae_edit", args=[ae1.pk]), {**form_data(ae1), "verbatim_term": "Other"}
    )
    assert response.status_code == 200
    assert services.DRAFT_ONLY in response.content.decode()
    ae1.refresh_from_db()
    assert ae1.verbatim_term == "Jaw clenching"


def test_a_submission_after_someone_elses_save_is_refused_with_the_input_kept(
    login, therapist, investigator, password, ae1
):
    url = reverse("safety:ae_submit", args=[ae1.pk])
    stale = _submit_post(ae1, password, treatment="Mine")
    services.adverse_event_draft_update(
        actor=therapist, adverse_event=ae1, expected_version=ae1.version, treatment="Theirs"
    )
    response = login(investigator).post(url, stale)
    assert response.status_code == 200
    assert response.context["conflict"] is True
    assert "Mine" in response.content.decode()
    ae1.refresh_from_db()
    assert ae1.status == AdverseEvent.Status.DRAFT and ae1.treatment == "Theirs"

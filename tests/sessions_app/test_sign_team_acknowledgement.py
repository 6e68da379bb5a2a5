"""An investigator who was on the session's team says so when signing its review: an explicit
acknowledgement, recorded in what the signature attests. Not on the team, nothing is asked."""

import datetime
import html

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from sessions_app.services import flowsheet
from sessions_app.services.flowsheet.session import SIGN_STATEMENT
from signatures.models import Signature
from tests.accounts.factories import MembershipFactory, UserFactory
from tests.sessions_app.factories import dosed_session_of, withhold_and_end
from tests.sessions_app.pages import field_error, input_tag

pytestmark = pytest.mark.django_db

ACKNOWLEDGEMENT = (
    "I was on this session's team (co-therapist): I approve a session that I helped to run."
)


def _sign_url(session):
    return reverse("sessions_app:sign", args=[session.pk])


def test_the_team_member_is_told_and_asked_to_acknowledge(login, investigator, ended):
    # `ended` was run by `therapist` (lead) and `investigator` (co-therapist).
    body = html.unescape(login(investigator).get(_sign_url(ended)).content.decode())
    assert 'data-testid="team-notice"' in body
    assert ACKNOWLEDGEMENT in body
    assert 'type="checkbox"' in input_tag(body, "acknowledged")


def test_signing_without_the_acknowledgement_is_refused_beside_it(
    login, investigator, password, ended
):
    response = login(investigator).post(_sign_url(ended), {"password": password})
    assert response.status_code == 200
    body = response.content.decode()
    assert field_error(body, "acknowledged") == flowsheet.TEAM_ACKNOWLEDGEMENT_REQUIRED
    assert not Signature.objects.exists()


def test_the_service_refuses_it_too(investigator, password, ended):
    with pytest.raises(ValidationError) as refused:
        flowsheet.dosing_session_sign(actor=investigator, session=ended, password=password)
    assert refused.value.message_dict == {
        "team_acknowledged": [flowsheet.TEAM_ACKNOWLEDGEMENT_REQUIRED]
    }
    assert not Signature.objects.exists()


def test_the_acknowledgement_is_recorded_in_the_signature(login, investigator, password, ended):
    client = login(investigator)
    response = client.post(_sign_url(ended), {"password": password, "acknowledged": "on"})
    assert response.status_code == 302
    signature = Signature.objects.get()
    assert signature.meaning == Signature.Meaning.APPROVED
    assert signature.statement == f"{SIGN_STATEMENT} {ACKNOWLEDGEMENT}"
    flowsheet_page = client.get(reverse("sessions_app:flowsheet", args=[ended.pk]))
    assert ACKNOWLEDGEMENT in html.unescape(flowsheet_page.content.decode())


@pytest.fixture
def ended_by_two_therapists(participant1, therapist, site1):
    """participant1's first dosing session, run and ended by two therapists: no investigator."""
    other = UserFactory(username="therapist_b")
    MembershipFactory(user=other, role=Role.THERAPIST, site=site1, study=site1.study)
    session = dosed_session_of(participant1, therapist, other)
    return withhold_and_end(session, therapist, timezone.now() - datetime.timedelta(minutes=5))


def test_an_investigator_not_on_the_team_is_not_asked(
    login, investigator, password, ended_by_two_therapists
):
    session = ended_by_two_therapists
    client = login(investigator)
    body = client.get(_sign_url(session)).content.decode()
    assert 'data-testid="team-notice"' not in body
    assert input_tag(body, "acknowledged") == ""
    assert client.post(_sign_url(session), {"password": password}).status_code == 302
    assert Signature.objects.get().statement == SIGN_STATEMENT


def test_the_same_version_is_not_signed_twice_by_one_investigator(
    login, signed, ended, investigator, password
):
    response = login(investigator).get(reverse("sessions_app:sign", args=[ended.pk]))
    assert response.status_code == 302  # back to the flowsheet, told it is signed
    with pytest.raises(flowsheet.FlowsheetError, match="already signed"):
        flowsheet.dosing_session_sign(
            actor=investigator, session=ended, password=password, team_acknowledged=True
        )
    assert Signature.objects.filter(object_pk=str(ended.pk), signer=investigator).count() == 1

"""Correcting an observation: with its reason and from its current version, voiding the
signature; and its correction page, for the site's staff only."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.models import LogEntry
from audit.services import ConcurrentEditError
from sessions_app.models import Observation
from sessions_app.services import flowsheet
from signatures.models import Signature
from tests.sessions_app.factories import withhold_and_end
from tests.sessions_app.pages import local

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)


# --- Observation corrections -----------------------------------------------------------------


@pytest.fixture
def observation(dosed_session, therapist):
    return flowsheet.observation_record(
        actor=therapist,
        session=dosed_session,
        observed_at=dosed_session.started_at + 30 * MINUTE,
        kind=Observation.Kind.OBSERVATION,
        text="Restless, asks for water.",
    )


def test_an_observation_is_corrected_with_its_reason(observation, therapist):
    flowsheet.observation_correct(
        actor=therapist,
        observation=observation,
        values={"text": "Restless, asks for a blanket.", "kind": Observation.Kind.INTERVENTION},
        expected_version=observation.version,
        reason="Wrong word typed",
    )
    observation.refresh_from_db()
    assert observation.text == "Restless, asks for a blanket."
    entry = LogEntry.objects.get_for_object(observation).order_by("-seq").first()
    assert entry.reason == "Wrong word typed"
    assert "text" in entry.changes


def test_an_observation_correction_needs_a_reason_and_the_current_version(observation, therapist):
    with pytest.raises(ValidationError):
        flowsheet.observation_correct(
            actor=therapist,
            observation=observation,
            values={"text": "x"},
            expected_version=observation.version,
            reason=" ",
        )
    with pytest.raises(ConcurrentEditError):
        flowsheet.observation_correct(
            actor=therapist,
            observation=observation,
            values={"text": "x"},
            expected_version=observation.version + 1,
            reason="Typo",
        )
    observation.refresh_from_db()
    assert observation.text == "Restless, asks for water."


def test_an_observation_corrected_after_signing_voids_the_signature(
    dosed_session, therapist, investigator, password
):
    entry = flowsheet.observation_record(
        actor=therapist,
        session=dosed_session,
        observed_at=dosed_session.started_at + 30 * MINUTE,
        kind=Observation.Kind.OBSERVATION,
        text="Calm.",
    )
    ended = withhold_and_end(dosed_session, therapist, timezone.now() - 30 * MINUTE)
    signature = flowsheet.dosing_session_sign(
        actor=investigator, session=ended, password=password, team_acknowledged=True
    )
    flowsheet.observation_correct(
        actor=therapist,
        observation=entry,
        values={"text": "Calm, slept an hour."},
        expected_version=entry.version,
        reason="Completed from memory the same evening",
    )
    signature.refresh_from_db()
    assert signature.voided_at is not None
    assert Signature.objects.filter(voided_at__isnull=True).count() == 0


# --- Observation correction page --------------------------------------------------------------


def _observation_url(observation):
    return reverse("sessions_app:observation_edit", args=[observation.pk])


def test_the_flowsheet_links_each_observation_to_its_correction(client, observation, therapist):
    client.force_login(therapist)
    page = client.get(reverse("sessions_app:flowsheet", args=[observation.session_id]))
    assert _observation_url(observation) in page.content.decode()


def test_correcting_an_observation_in_the_browser(client, observation, therapist):
    client.force_login(therapist)
    response = client.get(_observation_url(observation))
    assert response.status_code == 200
    assert "Restless, asks for water." in response.content.decode()
    when = local(observation.observed_at)
    response = client.post(
        _observation_url(observation),
        {
            "version": observation.version,
            "observed_at": when,
            "kind": Observation.Kind.INTERVENTION,
            "text": "Restless; offered water and a blanket.",
            "reason": "Intervention left out",
        },
    )
    assert response.status_code == 302
    observation.refresh_from_db()
    assert observation.kind == Observation.Kind.INTERVENTION
    assert observation.version == 2


def test_a_bad_correction_keeps_what_was_typed(client, observation, therapist):
    client.force_login(therapist)
    response = client.post(
        _observation_url(observation),
        {
            "version": observation.version,
            "observed_at": "2001-01-01T10:00",
            "kind": Observation.Kind.OBSERVATION,
            "text": "Text typed during the correction",
            "reason": "",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "observed_at" in form.errors
    assert "reason" in form.errors
    assert "Text typed during the correction" in response.content.decode()
    observation.refresh_from_db()
    assert observation.version == 1


def test_a_stale_observation_correction_is_refused_with_the_input_shown(
    client, observation, therapist
):
    flowsheet.observation_correct(
        actor=therapist,
        observation=observation,
        values={"text": "Someone else's fix"},
        expected_version=observation.version,
        reason="First fix",
    )
    client.force_login(therapist)
    when = local(observation.observed_at)
    response = client.post(
        _observation_url(observation),
        {
            "version": 1,
            "observed_at": when,
            "kind": Observation.Kind.OBSERVATION,
            "text": "My late fix",
            "reason": "Second fix",
        },
    )
    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    assert "My late fix" in response.content.decode()
    observation.refresh_from_db()
    assert observation.text == "Someone else's fix"


def test_other_sites_and_sponsor_roles_cannot_correct_an_observation(
    client, observation, therapist2, monitor, sponsor
):
    # Other sites and data managers do not learn the entry exists; the monitor reads, not edits.
    for user, status in ((therapist2, 404), (sponsor, 404), (monitor, 403)):
        client.force_login(user)
        assert client.get(_observation_url(observation)).status_code == status
        response = client.post(_observation_url(observation), {"text": "x", "reason": "y"})
        assert response.status_code == status
    observation.refresh_from_db()
    assert observation.version == 1


def test_a_refused_correction_page_still_names_the_entry_as_stored(client, observation, therapist):
    client.force_login(therapist)
    stored = timezone.localtime(observation.observed_at).strftime("%d %b %Y %H:%M")
    response = client.post(
        _observation_url(observation),
        {
            "version": observation.version,
            "observed_at": "2030-01-01T10:00",
            "kind": Observation.Kind.OBSERVATION,
            "text": "Typed text",
            "reason": "",
        },
    )
    heading = response.content.decode().split("<h1")[1].split("</h1>")[0]
    assert stored in heading
    assert "01 Jan 2030" not in heading

"""An adverse event begins on or after the participant's first screening: anything earlier is
medical history, refused beside the onset."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from safety.services import adverse_event_draft_create
from tests.screening.factories import StudyScreeningConfigFactory, screened_attempt

pytestmark = pytest.mark.django_db


@pytest.fixture
def candidate(study, site1, therapist):
    StudyScreeningConfigFactory(study=study)
    screened_on = timezone.localdate() - datetime.timedelta(days=10)
    return screened_attempt(actor=therapist, site=site1, screened_on=screened_on).participant


def _draft(actor, participant, onset_at):
    return adverse_event_draft_create(
        actor=actor,
        participant=participant,
        verbatim_term="Headache",
        onset_at=onset_at,
        description="",
    )


def test_an_onset_before_the_first_screening_is_refused(therapist, candidate):
    before = timezone.now() - datetime.timedelta(days=12)
    with pytest.raises(ValidationError) as refused:
        _draft(therapist, candidate, before)
    assert "before" in refused.value.message_dict["onset_at"][0]
    assert "medical history" in refused.value.message_dict["onset_at"][0]


def test_an_onset_during_screening_is_an_adverse_event(therapist, candidate):
    during = timezone.now() - datetime.timedelta(days=9)
    assert _draft(therapist, candidate, during).pk

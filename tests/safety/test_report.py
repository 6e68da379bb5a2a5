"""The rules of the site's report, each refused beside its field with a clear message, and the
safety answers that have no default."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from records.forms import YES_NO_REQUIRED
from safety import models, services
from safety.models import COMMON_TERMS, SERIOUSNESS_CRITERIA, AdverseEvent
from tests.safety.factories import complete_values, draft, form_data, local

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


def _refused(actor, participant, **values) -> dict:
    with pytest.raises(ValidationError) as refused:
        draft(actor, participant, **values)
    return refused.value.message_dict


def test_grade_5_without_the_death_criterion_is_refused(therapist, participant1):
    errors = _refused(therapist, participant1, severity_grade=5, serious_death=False)
    assert errors["severity_grade"] == [models.GRADE_5_NEEDS_DEATH]


def test_death_without_a_fatal_outcome_is_refused(therapist, participant1):
    errors = _refused(therapist, participant1, serious_death=True, outcome="recovered")
    assert errors["outcome"] == [models.DEATH_NEEDS_FATAL]
    errors = _refused(therapist, participant1, serious_death=False, outcome="fatal")
    assert errors["outcome"] == [models.FATAL_NEEDS_DEATH]


def test_a_fatal_grade_5_death_is_accepted(therapist, participant1):
    ae = draft(
        therapist,
        participant1,
        severity_grade=5,
        serious_death=True,
        outcome="fatal",
        ended_at=None,
    )
    assert ae.is_serious is True
    assert ae.seriousness_met == ["Results in death"]


def test_an_end_before_the_onset_is_refused(therapist, participant1):
    now = timezone.now()
    errors = _refused(therapist, participant1, onset_at=now - HOUR, ended_at=now - 2 * HOUR)
    assert errors["ended_at"] == [models.END_BEFORE_ONSET]


def test_an_end_and_ongoing_together_are_refused(therapist, participant1):
    errors = _refused(therapist, participant1, ongoing=True)
    assert errors["ended_at"] == [models.ENDED_AND_ONGOING]


def test_awareness_before_the_onset_is_refused(therapist, participant1):
    now = timezone.now()
    errors = _refused(therapist, participant1, onset_at=now - HOUR, aware_at=now - 2 * HOUR)
    assert errors["aware_at"] == [models.AWARE_BEFORE_ONSET]


def test_an_onset_in_the_future_is_refused(therapist, participant1):
    errors = _refused(therapist, participant1, onset_at=timezone.now() + 2 * HOUR)
    assert errors["onset_at"] == [services.ONSET_IN_FUTURE]


def test_an_onset_of_which_only_the_day_is_known_is_kept_as_that_day(therapist, participant1):
    onset = timezone.now() - 30 * HOUR
    ae = draft(therapist, participant1, onset_at=onset, onset_date_only=True, aware_at=onset)
    local_onset = timezone.localtime(ae.onset_at, participant1.site.zoneinfo)
    assert (local_onset.hour, local_onset.minute) == (0, 0)
    assert local_onset.date() == timezone.localtime(onset, participant1.site.zoneinfo).date()


def test_a_draft_may_leave_every_safety_answer_open(therapist, participant1):
    unanswered = {name: None for name, _ in SERIOUSNESS_CRITERIA}
    ae = draft(therapist, participant1, severity_grade=None, outcome="", **unanswered)
    assert ae.is_serious is None
    assert all(getattr(ae, name) is None for name in unanswered)


def test_serious_is_any_criterion(therapist, participant1):
    for name, label in SERIOUSNESS_CRITERIA[1:]:
        ae = draft(therapist, participant1, **{name: True})
        assert ae.is_serious is True and ae.seriousness_met == [label]
    assert draft(therapist, participant1).is_serious is False


def test_the_form_preselects_no_safety_answer_and_says_serious_is_not_severe(
    login, therapist, participant1
):
    response = login(therapist).get(reverse("safety:ae_create") + f"?participant={participant1.pk}")
    page = response.content.decode()
    for name, _ in SERIOUSNESS_CRITERIA:
        radios = [line for line in page.splitlines() if f'name="{name}"' in line]
        assert len(radios) == 2, name  # yes and no
        assert not any("checked" in line for line in radios), name
    assert 'data-testid="serious-not-severe"' in page
    assert "Seriousness is not severity" in page
    # Each grade with its meaning beside it.
    assert "Grade 3 · Severe or medically significant" in page
    # The common terms are suggested from the page itself, not from elsewhere.
    assert 'list="ae-common-terms"' in page
    assert all(f'<option value="{term}">' in page for term in COMMON_TERMS)
    # The site's awareness defaults to now, in the site's zone.
    assert response.context["form"]["aware_at"].value() is not None


def test_bad_values_are_refused_beside_their_fields_and_kept(login, therapist, participant1):
    now = timezone.now()
    data = form_data(
        onset_at=now - HOUR,
        ended_at=now - 2 * HOUR,
        aware_at=now - 3 * HOUR,
        severity_grade=5,
        serious_death=False,
        treatment="Typed with care",
    )
    response = login(therapist).post(
        reverse("safety:ae_create") + f"?participant={participant1.pk}", data
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["ended_at"] == [models.END_BEFORE_ONSET]
    assert errors["aware_at"] == [models.AWARE_BEFORE_ONSET]
    assert errors["severity_grade"] == [models.GRADE_5_NEEDS_DEATH]
    page = response.content.decode()
    assert "Typed with care" in page
    assert local(now - 2 * HOUR) in page
    assert not AdverseEvent.objects.exists()


def test_the_whole_report_is_saved_from_the_form(login, therapist, participant1):
    data = form_data(aesi_cardiovascular=True, serious_hospitalisation=True)
    response = login(therapist).post(
        reverse("safety:ae_create") + f"?participant={participant1.pk}", data
    )
    assert response.status_code == 302
    ae = AdverseEvent.objects.get()
    values = complete_values()
    assert ae.severity_grade == 2 and ae.causality == "probable" and ae.outcome == "recovered"
    assert ae.treatment == values["treatment"]
    assert ae.serious_hospitalisation is True and ae.serious_death is False
    assert ae.aesi_cardiovascular is True and ae.aesi_abuse is False
    assert ae.related_psychotherapy is False
    page = login(therapist).get(reverse("safety:ae_detail", args=[ae.pk])).content.decode()
    assert "Serious: Requires inpatient hospitalisation or prolongs it" in page
    assert "Cardiovascular" in page


def test_submission_requires_every_safety_answer(investigator, therapist, participant1, password):
    unanswered = {name: None for name, _ in SERIOUSNESS_CRITERIA}
    ae = draft(therapist, participant1, causality="", **unanswered)
    with pytest.raises(ValidationError) as refused:
        services.adverse_event_submit(
            actor=investigator, adverse_event=ae, password=password, expected_version=ae.version
        )
    errors = refused.value.message_dict
    assert all(errors[name] == [YES_NO_REQUIRED] for name in unanswered)
    assert errors["causality"] == [services.REQUIRED["causality"]]
    ae.refresh_from_db()
    assert ae.status == AdverseEvent.Status.DRAFT

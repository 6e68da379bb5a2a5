"""The screening's safety answers (pregnancy test, C-SSRS, the yes/no criteria) come with
nothing preselected, and the form says so beside them."""

import pytest
from django.urls import reverse

from records.forms import SAFETY_ANSWER_HELP
from screening import services
from tests.screening.factories import TODAY, identity_data
from tests.sessions_app.pages import preselected

pytestmark = pytest.mark.django_db


def test_a_new_screening_preselects_no_safety_answer(login, therapist, site1):
    # A fresh attempt, as starting a screening leaves it: nothing answered yet.
    fresh = services.screening_start(
        actor=therapist, site=site1, identity=identity_data(), screened_on=TODAY
    )
    body = login(therapist).get(reverse("screening:edit", args=[fresh.pk])).content.decode()
    answers = [f"answer_{a.criterion_id}" for a in fresh.answers.all()]
    assert answers
    names = ["pregnancy_test", "cssrs_ideation", *answers]
    assert all(f'name="{name}"' in body for name in names)
    assert preselected(body, names) == {}
    assert body.count(SAFETY_ANSWER_HELP) >= 2
    assert "Nothing is preselected" in body

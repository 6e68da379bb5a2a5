import datetime
import importlib
import itertools
from decimal import Decimal

import factory
from django.apps import apps

from screening import services
from screening.models import CriteriaSet, ScreeningAttempt, StudyScreeningConfig
from tests.accounts.factories import StudyFactory

# Values that meet every computed criterion of both published sets.
ELIGIBLE_VALUES = {
    "ptsd_duration_months": 24,
    "caps5_total": 40,
    "systolic_bp": 122,
    "diastolic_bp": 78,
    "pulse": 72,
    "qtc_ms": 410,
    "weight_kg": Decimal("70.5"),
    "pregnancy_test": "negative",
    "cssrs_ideation": 1,
}
ADULT_DOB = datetime.date(1985, 3, 14)
TODAY = datetime.date(2026, 6, 1)


def identity_data(**overrides) -> dict:
    data = {
        "given_name": "Casey",
        "family_name": "Quixotewood",
        "date_of_birth": ADULT_DOB,
        "sex": "F",
        "phone": "+44 20 7946 0101",
    }
    data.update(overrides)
    return data


_seed = importlib.import_module("screening.migrations.0002_seed_published_criteria")


def published_set(code: str = "MAPP1") -> CriteriaSet:
    """A published criteria set, re-seeded if a transactional test flushed the migration's rows."""
    _seed.seed(apps, None)
    return CriteriaSet.objects.get(code=code)


class StudyScreeningConfigFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StudyScreeningConfig
        django_get_or_create = ("study",)

    study = factory.SubFactory(StudyFactory)
    criteria_set = factory.LazyFunction(published_set)


def eligible_answers(attempt: ScreeningAttempt, **overrides) -> dict:
    """Every yes/no criterion answered the way that keeps the candidate eligible."""
    answers = {}
    for answer in attempt.answers.select_related("criterion"):
        criterion = answer.criterion
        value = criterion.kind == criterion.Kind.INCLUSION
        answers[answer.criterion_id] = (overrides.get(criterion.code, value), "")
    return answers


# Each candidate of screened_attempt is another person: the same name and date of birth at one
# site would be a possible duplicate (screening.services.duplicate_check).
_candidates = itertools.count(1)


def screened_attempt(
    *, actor, site, submit: bool = True, dob=ADULT_DOB, answers=None, screened_on=TODAY, **values
) -> ScreeningAttempt:
    """A new candidate screened through the services, with eligible values unless overridden."""
    attempt = services.screening_start(
        actor=actor,
        site=site,
        identity=identity_data(date_of_birth=dob, given_name=f"Casey {next(_candidates)}"),
        screened_on=screened_on,
    )
    return fill_attempt(attempt=attempt, actor=actor, submit=submit, answers=answers, **values)


def fill_attempt(*, attempt, actor, submit=True, answers=None, **values) -> ScreeningAttempt:
    for name, value in {**ELIGIBLE_VALUES, **values}.items():
        setattr(attempt, name, value)
    services.screening_update(
        actor=actor,
        attempt=attempt,
        answers=eligible_answers(attempt, **(answers or {})),
        expected_version=attempt.version,
    )
    if submit:
        attempt = services.screening_submit(actor=actor, attempt=attempt)
    return attempt

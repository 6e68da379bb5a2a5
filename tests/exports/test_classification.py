"""Every field of every model is classified, and no dataset column gives an identifier or a free
text as is."""

import dataclasses

import pytest

from exports import classification
from exports.datasets import REGISTRY, Column, Use, column_problems


def test_every_field_of_every_model_is_classified():
    assert classification.unclassified() == []


def test_a_field_not_classified_is_named(monkeypatch):
    table = dict(classification.CLASSIFICATION["safety.AdverseEvent"])
    del table["description"]
    monkeypatch.setitem(classification.CLASSIFICATION, "safety.AdverseEvent", table)
    assert classification.unclassified() == ["safety.AdverseEvent.description"]


def test_a_classified_field_that_no_longer_exists_is_named(monkeypatch):
    table = {**classification.CLASSIFICATION["sessions_app.Visit"], "comment": classification.TEXT}
    monkeypatch.setitem(classification.CLASSIFICATION, "sessions_app.Visit", table)
    assert classification.unclassified() == ["sessions_app.Visit.comment"]


def test_only_id_version_and_keys_to_records_default_to_safe():
    from participants.models import Participant
    from safety.models import AdverseEvent

    assert classification.classify(AdverseEvent._meta.get_field("participant")) == "identifier"
    assert classification.classify(AdverseEvent._meta.get_field("reported_by")) == "safe"
    assert classification.classify(Participant._meta.get_field("id")) == "identifier"
    assert classification.classify(AdverseEvent._meta.get_field("id")) == "safe"


def test_no_column_gives_an_identifier_a_free_text_or_a_date_as_is():
    assert column_problems() == []


@pytest.mark.parametrize(
    ("column", "problem"),
    [
        (Column("description", "description"), "free_text used as value"),
        (Column("reported", "onset_at"), "a date given as is"),
        (Column("treatment", "treatment", Use.SCRUBBED), "not a free text that may be exported"),
        (Column("participant", "participant__study_code"), "identifier used as value"),
    ],
)
def test_a_column_that_would_leak_is_caught(monkeypatch, column, problem):
    events = REGISTRY["adverse_events"]
    leaky = dataclasses.replace(events, columns=(*events.columns, column))
    monkeypatch.setitem(REGISTRY, "adverse_events", leaky)
    problems = column_problems()
    assert len(problems) == 1
    assert problems[0].startswith(f"adverse_events.{column.name} ")
    assert problem in problems[0]

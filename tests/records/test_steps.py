"""records.steps: a page's steps, each once, and how a declared step calls its service."""

from types import SimpleNamespace

import pytest

from records.forms import form_values
from records.steps import Step, Steps


def _form(**cleaned):
    return SimpleNamespace(cleaned_data=cleaned)


def test_a_step_is_registered_once():
    steps = Steps([Step("reading", form=None)])
    with pytest.raises(ValueError, match="reading"):
        steps.register(Step("reading", form=None))


def test_only_the_steps_the_state_offers_are_offered_in_their_order():
    steps = Steps(
        [
            Step("start", form=None, offered=lambda view: not view.started),
            Step("reading", form=None, offered=lambda view: view.started),
            Step("end", form=None, offered=lambda view: view.started),
        ]
    )
    assert [s.action for s in steps.offered(SimpleNamespace(started=True))] == ["reading", "end"]
    assert [s.action for s in steps.offered(SimpleNamespace(started=False))] == ["start"]


def test_the_forms_version_is_the_expected_version_and_a_missing_reason_is_empty():
    values = form_values(_form(version=3, kit_number="K-1"), ("kit_number", "version", "reason"))
    assert values == {"kit_number": "K-1", "expected_version": 3, "reason": ""}


def test_a_declared_step_calls_its_service_with_the_views_arguments_and_says_its_message():
    calls = []

    def service(**kwargs):
        calls.append(kwargs)
        return SimpleNamespace(kit_number="K-9")

    step = Step(
        "dose",
        form=None,
        service=service,
        arguments=("kit_number", "decision_reason"),
        renamed={"decision_reason": "reason"},
        message=lambda dose: f"Recorded (kit {dose.kit_number}).",
    )
    view = SimpleNamespace(step_arguments=lambda: {"actor": "u", "session": "s"})
    form = _form(kit_number="K-9", decision_reason="tolerated")
    assert step.run(view, form) == "Recorded (kit K-9)."
    assert calls == [{"actor": "u", "session": "s", "kit_number": "K-9", "reason": "tolerated"}]

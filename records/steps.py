"""The steps a page offers on its record, each once: its form, the service it runs, when the
record's state offers it, and what the user is told after it.

A page with several steps (the dosing-session flowsheet today; the adverse event's and the
monitor's queries' steps are meant to plug in the same way) lists them in a `Steps` registry and
serves them with `StepsViewMixin`: the form posted names its step in `action`, the step's form
is bound and validated, its service runs, and the page either redirects with the step's message
or shows the form again with the refusal beside its field. A save that lost to someone else's
keeps what the user typed, bound to the record as it now is.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse

from audit.services import ConcurrentEditError
from records.edits import StepRefused
from records.forms import add_service_error, form_values, rebind_after_conflict


def _always(view) -> bool:
    return True


@dataclass(frozen=True)
class Step:
    """One step. `form(view, data)` builds its form (prefixed with the action); `offered(view)`
    says whether the record's state offers it now; `anchor` is where the page lands after it.

    What it does is either `perform(view, form)`, which runs its service and returns what the
    user is told, or, declared: its `service`, called with the view's `step_arguments()` and the
    form's `arguments` (each field by its name; the form's `version` as `expected_version`, other
    names as `renamed` says), and its `message` (text, or a function of the service's result).
    """

    action: str
    form: Callable[[Any, Any], forms.BaseForm]
    perform: Callable[[Any, forms.BaseForm], str] | None = None
    offered: Callable[[Any], bool] = _always
    anchor: str = ""
    service: Callable[..., Any] | None = None
    arguments: tuple[str, ...] = ()
    renamed: dict[str, str] = field(default_factory=dict)
    message: str | Callable[[Any], str] = ""

    def run(self, view, form: forms.BaseForm) -> str:
        if self.perform is not None:
            return self.perform(view, form)
        values = form_values(form, self.arguments, self.renamed)
        result = self.service(**view.step_arguments(), **values)
        return self.message(result) if callable(self.message) else self.message


class Steps:
    """The steps of one page, in the order the page offers them."""

    def __init__(self, steps: Iterable[Step] = ()):
        self._steps: dict[str, Step] = {}
        for step in steps:
            self.register(step)

    def register(self, step: Step) -> Step:
        if step.action in self._steps:
            raise ValueError(f"The step {step.action!r} is registered already.")
        self._steps[step.action] = step
        return step

    def get(self, action: str) -> Step | None:
        return self._steps.get(action)

    def offered(self, view) -> list[Step]:
        return [step for step in self._steps.values() if step.offered(view)]

    def __iter__(self):
        return iter(self._steps.values())


class StepsViewMixin:
    """Serves the `steps` of a page about one record.

    The view provides `step_record()` (the record the steps change), `record_url()` (where a
    step lands), `reload()` (the record as it is now, after a lost concurrent save),
    `load_step_state()` (what the steps' forms read, loaded before a posted form), and the
    permission to take any step (`step_permission`, checked at the record's site;
    `step_denied_message`).
    The context gets `forms` (action -> form, for the steps offered), `bound_action` and
    `unshown_errors` (the refusal of a step the page no longer offers: someone else took it).
    """

    steps: Steps
    unknown_step_message = "Unknown step."
    step_permission: str = ""
    step_denied_message = ""
    # What the services raise to refuse a step (shown beside its field, or above the form).
    refusals: tuple[type[Exception], ...] = (ValidationError, StepRefused)

    def step_record(self):
        raise NotImplementedError

    def step_arguments(self) -> dict:
        """What every step's service is given besides the form's values (the actor, the record)."""
        return {"actor": self.request.user}

    def load_step_state(self) -> None:
        """Load what the steps' forms and `offered` read (called before a posted form is built,
        and again after a lost concurrent save)."""

    def may_take_steps(self) -> bool:
        return self.request.user.has_perm(self.step_permission, self.step_record())

    def record_url(self) -> str:
        raise NotImplementedError

    def reload(self):
        raise NotImplementedError

    def build_form(self, action: str, data=None) -> forms.BaseForm:
        return self.steps.get(action).form(self, data)

    def step_forms(self, bound=None) -> dict[str, forms.BaseForm]:
        """The steps the record's state offers; the one refused stays bound."""
        return {
            step.action: bound
            if bound is not None and bound.prefix == step.action
            else self.build_form(step.action)
            for step in self.steps.offered(self)
        }

    @staticmethod
    def unshown_errors(bound, shown: dict) -> list[str]:
        if bound is None or bound.prefix in shown:
            return []
        return [message for messages_ in bound.errors.values() for message in messages_]

    def step_context(self, bound=None) -> dict:
        """The steps offered to a user who may take them (none to one who may only read)."""
        shown = self.step_forms(bound) if self.may_take_steps() else {}
        return {
            "forms": shown,
            "bound_action": bound.prefix if bound is not None else "",
            "unshown_errors": self.unshown_errors(bound, shown),
        }

    def get_context_data(self, bound_form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.step_context(bound_form))
        return context

    def post(self, request, *args, **kwargs):
        if not self.may_take_steps():
            raise PermissionDenied(self.step_denied_message)
        step = self.steps.get(request.POST.get("action", ""))
        if step is None:
            return HttpResponseBadRequest(self.unknown_step_message)
        self.load_step_state()
        form = self.build_form(step.action, data=request.POST)
        if form.is_valid():
            try:
                message = step.run(self, form)
            except ConcurrentEditError as error:
                current = self.reload()
                self.load_step_state()
                form = rebind_after_conflict(
                    lambda data: self.build_form(step.action, data=data),
                    data=request.POST,
                    version=current.version,
                    error=error,
                    version_field=f"{form.prefix}-version",
                )
            except self.refusals as error:
                add_service_error(form, error)
            else:
                messages.success(request, message)
                return redirect(f"{self.record_url()}#{step.anchor or step.action}")
        return self.render_to_response(self.get_context_data(bound_form=form))


class RecordStepsMixin(StepsViewMixin):
    """The steps of a page about one record, loaded by records.views.ScopedRecordMixin (as
    `record_name`): a user whose role grants one of `step_permissions` at the record's site is
    offered them; each step's service is given the actor and the record by that name; a step
    lands on the page `url_name` names for the record."""

    step_permissions: tuple[str, ...] = ()
    url_name = ""

    def step_record(self):
        return getattr(self, self.record_name)

    def may_take_steps(self) -> bool:
        record = self.step_record()
        return any(self.request.user.has_perm(perm, record) for perm in self.step_permissions)

    def step_arguments(self) -> dict:
        return {"actor": self.request.user, self.record_name: self.step_record()}

    def record_url(self) -> str:
        return reverse(self.url_name, args=[self.step_record().pk])

    def reload(self):
        record = self.load_record()
        self.record = record
        setattr(self, self.record_name, record)
        self.record_loaded()
        return record

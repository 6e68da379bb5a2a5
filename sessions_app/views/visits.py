from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.views.generic import FormView

from participants.selectors import casebook_locked
from records.forms import form_values
from records.views import ScopedRecordMixin, ServiceFormMixin
from sessions_app import selectors
from sessions_app.forms.visits import VisitHeldForm, VisitMissedForm
from sessions_app.models import Visit
from sessions_app.services.visits import visit_mark_held, visit_mark_missed, visit_missed_undo


class VisitFormMixin(ServiceFormMixin, ScopedRecordMixin):
    """A form about one visit, for site staff who record visits; its dates are the site's."""

    record_name = "visit"
    permission = "sessions_app.change_visit"
    denied_message = "Your role does not include recording visits."

    def load_record(self):
        return selectors.visit_get(user=self.request.user, pk=self.kwargs["pk"])

    def record_site(self):
        return self.visit.participant.site

    def reload(self):
        return selectors.visit_get(user=self.request.user, pk=self.visit.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        participant = self.visit.participant
        context.update(
            visit=self.visit,
            participant=participant,
            locked_casebook=casebook_locked(participant),
        )
        return context


class VisitHeldView(VisitFormMixin, FormView):
    """Record that a preparatory visit was held (dosing and integration visits record it on their
    flowsheet and notes). Today, for the default day and the check against a future day, is the
    day at the participant's site."""

    template_name = "sessions_app/visit_held.html"

    def check_record(self) -> None:
        visit = self.visit
        if visit.kind != Visit.Kind.PREPARATORY:
            raise PermissionDenied(
                "A dosing session is held when its flowsheet starts, and an integration session "
                "when its notes are written."
            )

    def form_for(self, record, **kwargs):
        return VisitHeldForm(visit=record, **kwargs)

    def save(self, form):
        visit_mark_held(
            actor=self.request.user,
            visit=self.visit,
            **form_values(form, ("held_on", "deviation_explanation", "version", "reason")),
        )
        messages.success(self.request, f"{self.visit.label} recorded as held.")
        return redirect("participants:detail", pk=self.visit.participant_id)


class VisitMissedView(VisitFormMixin, FormView):
    """Record that an expected visit did not take place, and why."""

    template_name = "sessions_app/visit_missed.html"

    def form_for(self, record, **kwargs):
        """Record it missed; or, once missed, take that back (recorded in error)."""
        return VisitMissedForm(visit=record, undo=record.status == Visit.Status.MISSED, **kwargs)

    def save(self, form):
        service, done = visit_mark_missed, "recorded as missed"
        if form.undo:
            service, done = visit_missed_undo, "expected again"
        service(
            actor=self.request.user,
            visit=self.visit,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )
        messages.success(self.request, f"{self.visit.label} {done}.")
        return redirect("participants:detail", pk=self.visit.participant_id)

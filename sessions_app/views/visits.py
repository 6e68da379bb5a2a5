from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.views.generic import FormView

from accounts.middleware import SiteTimeZoneMixin
from audit.forms import rebind_after_conflict
from audit.services import ConcurrentEditError
from sessions_app import selectors
from sessions_app.forms.visits import VisitHeldForm, VisitMissedForm
from sessions_app.models import Visit
from sessions_app.services.visits import visit_mark_held, visit_mark_missed
from sessions_app.views.flowsheet import add_service_error


class VisitHeldView(SiteTimeZoneMixin, LoginRequiredMixin, FormView):
    """Record that a preparatory visit was held (dosing and integration visits record it on their
    flowsheet and notes). Today, for the default day and the check against a future day, is the
    day at the participant's site."""

    template_name = "sessions_app/visit_held.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.visit = selectors.visit_get(user=request.user, pk=kwargs["pk"])
        if not request.user.has_perm("sessions_app.change_visit", self.visit):
            raise PermissionDenied("Your role does not include recording visits.")
        if self.visit.kind != Visit.Kind.PREPARATORY:
            raise PermissionDenied(
                "A dosing session is held when its flowsheet starts, and an integration session "
                "when its notes are written."
            )
        return super().dispatch(request, *args, **kwargs)

    def time_zone_site(self):
        return self.visit.participant.site

    def get_form(self, form_class=None):
        return VisitHeldForm(**self.get_form_kwargs(), visit=self.visit)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(visit=self.visit, participant=self.visit.participant)
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            visit_mark_held(
                actor=self.request.user,
                visit=self.visit,
                held_on=data["held_on"],
                deviation_explanation=data["deviation_explanation"],
                expected_version=data["version"],
                reason=data.get("reason", ""),
            )
        except ConcurrentEditError as error:
            current = selectors.visit_get(user=self.request.user, pk=self.visit.pk)
            rebound = rebind_after_conflict(
                lambda data: VisitHeldForm(data=data, visit=current),
                data=self.request.POST,
                version=current.version,
                error=error,
            )
            return self.form_invalid(rebound)
        except ValidationError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"{self.visit.label} recorded as held.")
        return redirect("participants:detail", pk=self.visit.participant_id)


class VisitMissedView(SiteTimeZoneMixin, LoginRequiredMixin, FormView):
    """Record that an expected visit did not take place, and why."""

    template_name = "sessions_app/visit_missed.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.visit = selectors.visit_get(user=request.user, pk=kwargs["pk"])
        if not request.user.has_perm("sessions_app.change_visit", self.visit):
            raise PermissionDenied("Your role does not include recording visits.")
        return super().dispatch(request, *args, **kwargs)

    def time_zone_site(self):
        return self.visit.participant.site

    def get_form(self, form_class=None):
        return VisitMissedForm(**self.get_form_kwargs(), visit=self.visit)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(visit=self.visit, participant=self.visit.participant)
        return context

    def form_valid(self, form):
        try:
            visit_mark_missed(
                actor=self.request.user,
                visit=self.visit,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except ConcurrentEditError as error:
            current = selectors.visit_get(user=self.request.user, pk=self.visit.pk)
            rebound = rebind_after_conflict(
                lambda data: VisitMissedForm(data=data, visit=current),
                data=self.request.POST,
                version=current.version,
                error=error,
            )
            return self.form_invalid(rebound)
        except ValidationError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"{self.visit.label} recorded as missed.")
        return redirect("participants:detail", pk=self.visit.participant_id)

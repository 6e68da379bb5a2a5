"""Adverse events: a site opens a draft (often from a reading over a threshold) and edits it.

Only the draft is built; every page says so, so nobody takes it for a submitted report.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.views.generic import FormView, TemplateView

from accounts.selectors import user_scope
from participants.selectors import casebook_locked, participant_get, participant_list
from records import redaction
from records.edits import StepRefused
from records.forms import add_service_error, form_values
from records.views import (
    RecordListView,
    ScopedRecordMixin,
    ServiceFormMixin,
    SiteTimeZoneMixin,
)
from safety import selectors, services
from safety.forms import (
    AdverseEventDraftForm,
    AdverseEventEditForm,
    AdverseEventFilter,
    ParticipantChoiceForm,
)
from safety.models import AdverseEvent
from sessions_app.selectors import elapsed_label, elapsed_minutes, reading_get


class AdverseEventListView(RecordListView):
    permission_required = selectors.VIEW_AE
    filterset_class = AdverseEventFilter
    template_name = "safety/ae_list.html"
    context_object_name = "adverse_events"

    def get_queryset(self):
        return selectors.adverse_event_list(user=self.request.user).order_by("-onset_at", "-pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_add"] = self.request.user.has_perm(services.ADD_AE)
        redaction.prime(self.request, context["adverse_events"])
        return context


class AdverseEventCreateView(SiteTimeZoneMixin, LoginRequiredMixin, FormView):
    """Open a draft: from a reading (?reading=<pk>), or for a participant (?participant=<pk>).

    The onset is shown and typed in the time zone of the participant's site.
    """

    template_name = "safety/ae_form.html"
    form_class = AdverseEventDraftForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not request.user.has_perm(services.ADD_AE):
            raise PermissionDenied("Only site staff can report adverse events.")
        self.reading = self.participant = None
        if request.GET.get("reading"):
            self.reading = reading_get(user=request.user, pk=request.GET["reading"])
            if self.reading.is_voided:  # struck through as entered in error: nothing happened
                raise Http404("This reading was struck through as entered in error.")
            self.participant = self.reading.session.visit.participant
        elif request.GET.get("participant"):
            self.participant = participant_get(user=request.user, pk=request.GET["participant"])
        if self.participant is not None and not request.user.has_perm(
            services.ADD_AE, self.participant
        ):
            raise PermissionDenied(services.REPORT_REFUSED)
        return super().dispatch(request, *args, **kwargs)

    def time_zone_site(self):
        return self.participant.site if self.participant is not None else None

    def _participants(self):
        site_ids = user_scope(self.request.user).sites_with(services.ADD_AE)
        return participant_list(user=self.request.user).filter(site_id__in=site_ids)

    def get(self, request, *args, **kwargs):
        if self.participant is None:
            chooser = ParticipantChoiceForm(participants=self._participants())
            return self.render_to_response({"chooser": chooser})
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if self.participant is None:
            return redirect("safety:ae_create")
        return super().post(request, *args, **kwargs)

    def get_initial(self):
        initial = super().get_initial()
        if self.reading is not None:
            initial.update(
                verbatim_term=selectors.reading_term(self.reading),
                onset_at=self.reading.measured_at,
            )
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(participant=self.participant, reading=self.reading)
        if self.reading is not None:
            session = self.reading.session
            dose = session.initial_dose
            context.update(
                session=session,
                reading_elapsed=elapsed_label(
                    elapsed_minutes(self.reading.measured_at, dose and dose.administered_at)
                ),
            )
        return context

    def form_valid(self, form):
        try:
            ae = services.adverse_event_draft_create(
                actor=self.request.user,
                participant=self.participant,
                verbatim_term=form.cleaned_data["verbatim_term"],
                onset_at=form.cleaned_data["onset_at"],
                description=form.cleaned_data["description"],
                dosing_session=self.reading.session if self.reading else None,
                source_reading=self.reading,
            )
        except (ValidationError, StepRefused) as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"Draft adverse event saved for {self.participant.label}. It has not been "
            "submitted: the adverse-event workflow is not built yet.",
        )
        return redirect("safety:ae_detail", pk=ae.pk)


class AdverseEventMixin(ScopedRecordMixin):
    """Loads the adverse event named in the URL within the user's scope (404 outside it); its
    times are those of the participant's site."""

    record_name = "ae"
    permission = selectors.VIEW_AE
    denied_message = "Your role does not allow this on adverse events."

    def load_record(self):
        return selectors.adverse_event_get(user=self.request.user, pk=self.kwargs["pk"])

    def record_site(self):
        return self.ae.participant.site

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        locked = casebook_locked(self.ae.participant)
        context.update(
            ae=self.ae,
            participant=self.ae.participant,
            locked_casebook=locked,
            can_edit=self.ae.status == AdverseEvent.Status.DRAFT
            and locked is None
            and user.has_perm(services.CHANGE_AE, self.ae),
        )
        return context


class AdverseEventDetailView(AdverseEventMixin, TemplateView):
    template_name = "safety/ae_detail.html"


class AdverseEventEditView(ServiceFormMixin, AdverseEventMixin, FormView):
    permission = services.CHANGE_AE
    denied_message = services.CHANGE_REFUSED
    template_name = "safety/ae_edit.html"
    refusals = (ValidationError, services.AdverseEventError)

    def get(self, request, *args, **kwargs):
        if self.ae.status != AdverseEvent.Status.DRAFT:
            messages.warning(request, services.DRAFT_ONLY)
            return redirect("safety:ae_detail", pk=self.ae.pk)
        return super().get(request, *args, **kwargs)

    def form_for(self, record, **kwargs):
        return AdverseEventEditForm(instance=record, **kwargs)

    def save(self, form):
        services.adverse_event_draft_update(
            actor=self.request.user,
            adverse_event=form.instance,
            **form_values(form, ("verbatim_term", "onset_at", "description", "version", "reason")),
        )
        messages.success(self.request, "Draft saved. The change is in the audit trail.")
        return redirect("safety:ae_detail", pk=self.ae.pk)

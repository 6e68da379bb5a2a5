"""Adverse events: a site opens a draft (often from a reading over a threshold) and completes
it; the investigator submits it with an e-signature; later changes are follow-up reports, drafted
by the site's staff and signed by the investigator. The sponsor sees counts only."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.views.generic import FormView, TemplateView

from accounts.selectors import user_scope
from audit.services import ConcurrentEditError
from participants.selectors import casebook_locked, participant_get, participant_list
from records import redaction
from records.edits import StepRefused
from records.forms import add_service_error
from records.views import (
    RecordListView,
    ScopedRecordMixin,
    ServiceFormMixin,
    SiteTimeZoneMixin,
)
from safety import queue, selectors, services
from safety.forms import (
    AdverseEventDraftForm,
    AdverseEventEditForm,
    AdverseEventFilter,
    AdverseEventFollowUpForm,
    AdverseEventSubmitForm,
    FollowUpSignForm,
    ParticipantChoiceForm,
    ReviewQueueFilter,
)
from safety.models import COMMON_TERMS, SPECIAL_INTEREST, AdverseEvent
from safety.review import ASSESS_AE
from sessions_app.selectors import elapsed_label, elapsed_minutes, reading_get
from signatures.models import Signature
from signatures.services import SignatureRefusedError


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
        self.locked_casebook = casebook_locked(self.participant) if self.participant else None
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
                dosing_session=self.reading.session_id,
            )
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            participant=self.participant,
            reading=self.reading,
            common_terms=COMMON_TERMS,
            locked_casebook=self.locked_casebook,
        )
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

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "participant": self.participant,
            "writable": self.locked_casebook is None,
        }

    def form_valid(self, form):
        try:
            ae = services.adverse_event_draft_create(
                actor=self.request.user,
                participant=self.participant,
                source_reading=self.reading,
                **form.values(),
            )
        except (ValidationError, StepRefused) as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"Draft adverse event saved for {self.participant.label}. It is not submitted "
            "until the site investigator signs it.",
        )
        return redirect("safety:ae_detail", pk=ae.pk)


class AdverseEventMixin(ScopedRecordMixin):
    """Loads the adverse event named in the URL within the user's scope (404 outside it), with
    its reports; its times are those of the participant's site."""

    record_name = "ae"
    permission = selectors.VIEW_AE
    denied_message = "Your role does not allow this on adverse events."

    def load_record(self):
        return selectors.adverse_event_detail(user=self.request.user, pk=self.kwargs["pk"])

    def reload(self):
        return selectors.adverse_event_detail(user=self.request.user, pk=self.ae.pk)

    def record_site(self):
        return self.ae.participant.site

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        ae = self.ae
        locked = casebook_locked(ae.participant)
        writable = locked is None
        open_for_follow_up = writable and ae.status == AdverseEvent.Status.SUBMITTED
        context.update(
            ae=ae,
            participant=ae.participant,
            locked_casebook=locked,
            common_terms=COMMON_TERMS,
            can_edit=writable and ae.is_draft and user.has_perm(services.CHANGE_AE, ae),
            can_submit=writable and ae.is_draft and user.has_perm(services.SUBMIT_AE, ae),
            can_follow_up=open_for_follow_up and user.has_perm(services.CHANGE_AE, ae),
            can_sign_follow_up=open_for_follow_up
            and ae.pending is not None
            and user.has_perm(services.SUBMIT_AE, ae),
        )
        return context


class AdverseEventDetailView(AdverseEventMixin, TemplateView):
    template_name = "safety/ae_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["reports"] = [
            (report, selectors.report_changes(report)) for report in self.ae.signed_reports
        ]
        if self.ae.pending is not None:
            context["pending_changes"] = selectors.report_changes(self.ae.pending)
        return context


class DraftFormMixin(ServiceFormMixin, AdverseEventMixin):
    """A page that saves the draft (edits it, or submits it): refused once it is submitted."""

    refusals = (ValidationError, services.AdverseEventError)

    def get(self, request, *args, **kwargs):
        if not self.ae.is_draft:
            messages.info(request, services.ALREADY_SUBMITTED)
            return redirect("safety:ae_detail", pk=self.ae.pk)
        return super().get(request, *args, **kwargs)


class AdverseEventEditView(DraftFormMixin, FormView):
    permission = services.CHANGE_AE
    denied_message = services.CHANGE_REFUSED
    template_name = "safety/ae_edit.html"

    def get(self, request, *args, **kwargs):
        # A submitted event is changed by a follow-up report (a query's correction lands here).
        if self.ae.status == AdverseEvent.Status.SUBMITTED:
            messages.info(request, services.ALREADY_SUBMITTED)
            return redirect("safety:ae_follow_up", pk=self.ae.pk)
        return super().get(request, *args, **kwargs)

    def form_for(self, record, **kwargs):
        return AdverseEventEditForm(instance=record, participant=record.participant, **kwargs)

    def save(self, form):
        services.adverse_event_draft_update(
            actor=self.request.user,
            adverse_event=form.instance,
            expected_version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
            **form.values(),
        )
        messages.success(self.request, "Draft saved. The change is in the audit trail.")
        return redirect("safety:ae_detail", pk=self.ae.pk)


class AdverseEventSubmitView(DraftFormMixin, FormView):
    """The investigator reviews the whole draft, completes it and signs it: the submission."""

    permission = services.SUBMIT_AE
    denied_message = services.SUBMIT_REFUSED
    template_name = "safety/ae_submit.html"

    def form_for(self, record, **kwargs):
        return AdverseEventSubmitForm(instance=record, participant=record.participant, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            meaning_label=Signature.Meaning.APPROVED.label, statement=services.SUBMIT_STATEMENT
        )
        return context

    def save(self, form):
        try:
            services.adverse_event_submit(
                actor=self.request.user,
                adverse_event=form.instance,
                password=form.cleaned_data["password"],
                expected_version=form.cleaned_data["version"],
                request=self.request,
                **form.values(),
            )
        except SignatureRefusedError as error:
            raise ValidationError({"password": str(error)}) from error
        messages.success(self.request, "Adverse event submitted: the initial report is signed.")
        return redirect("safety:ae_detail", pk=self.ae.pk)


class FollowUpMixin(AdverseEventMixin):
    """A page about the event's follow-up reports: a submitted event's, not yet closed."""

    def get(self, request, *args, **kwargs):
        if self.ae.status != AdverseEvent.Status.SUBMITTED:
            messages.info(
                request,
                services.SUBMITTED_ONLY if self.ae.is_draft else services.CLOSED,
            )
            return redirect(
                "safety:ae_edit" if self.ae.is_draft else "safety:ae_detail", pk=self.ae.pk
            )
        return super().get(request, *args, **kwargs)


class AdverseEventFollowUpView(FollowUpMixin, ServiceFormMixin, FormView):
    """The site's staff draft the next follow-up report (or change the draft that waits)."""

    permission = services.CHANGE_AE
    denied_message = services.CHANGE_REFUSED
    template_name = "safety/ae_follow_up.html"
    refusals = (ValidationError, services.AdverseEventError)

    def form_for(self, record, data=None, **kwargs):
        if data is not None and getattr(self, "conflict_lost", False):
            # The form again after a lost save: at the follow-up's current version too.
            data = data.copy()
            data["report_version"] = record.pending.version if record.pending else ""
        return AdverseEventFollowUpForm(
            instance=record, pending=record.pending, data=data, **kwargs
        )

    def reload(self):
        self.conflict_lost = True
        return super().reload()

    def save(self, form):
        report = services.adverse_event_follow_up_save(
            actor=self.request.user,
            adverse_event=form.instance,
            reason=form.cleaned_data["reason"],
            final=form.cleaned_data["final"],
            expected_version=form.cleaned_data["version"],
            expected_report_version=form.cleaned_data["report_version"],
            **form.values(),
        )
        messages.success(
            self.request,
            f"{report.label} saved. It changes nothing until the site investigator signs it.",
        )
        return redirect("safety:ae_detail", pk=self.ae.pk)


class AdverseEventFollowUpSignView(FollowUpMixin, FormView):
    """The investigator reviews what the waiting follow-up changes, and signs it."""

    permission = services.SUBMIT_AE
    denied_message = services.SUBMIT_REFUSED
    template_name = "safety/ae_follow_up_sign.html"

    def get(self, request, *args, **kwargs):
        if self.ae.status == AdverseEvent.Status.SUBMITTED and self.ae.pending is None:
            messages.info(request, services.NO_PENDING)
            return redirect("safety:ae_detail", pk=self.ae.pk)
        return super().get(request, *args, **kwargs)

    def get_form(self, form_class=None):
        return FollowUpSignForm(
            **self.get_form_kwargs(),
            report=self.ae.pending,
            signer=self.request.user,
            submit_label="Sign the follow-up",
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        pending = self.ae.pending
        context.update(
            pending=pending,
            pending_changes=selectors.report_changes(pending) if pending else [],
            sign_form=context["form"],
            meaning_label=Signature.Meaning.APPROVED.label,
            statement=services.FOLLOW_UP_STATEMENT,
        )
        return context

    def form_valid(self, form):
        try:
            report = services.adverse_event_follow_up_sign(
                actor=self.request.user,
                adverse_event=self.ae,
                password=form.cleaned_data["password"],
                expected_version=form.cleaned_data["version"],
                request=self.request,
            )
        except SignatureRefusedError as error:
            form.add_error("password", str(error))
            return self.form_invalid(form)
        except (ConcurrentEditError, services.AdverseEventError, ValidationError) as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        closed = " The event is closed." if report.final else ""
        messages.success(self.request, f"{report.label} signed.{closed}")
        return redirect("safety:ae_detail", pk=self.ae.pk)


class AdverseEventCountsView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    """Submitted adverse events counted by seriousness and special interest, per site: all a
    sponsor's data manager sees of them."""

    permission_required = selectors.COUNT_AE
    template_name = "safety/ae_counts.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["counts"] = selectors.adverse_event_counts(user=self.request.user)
        context["special_interest"] = SPECIAL_INTEREST
        return context


class ReviewQueueView(RecordListView):
    """The medical monitor's queue of submitted events, most urgent first (safety.queue), each
    with its clocks."""

    permission_required = ASSESS_AE
    filterset_class = ReviewQueueFilter
    template_name = "safety/review_queue.html"
    context_object_name = "adverse_events"
    selector = queue.review_queue

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        queue.queue_clocks(context["adverse_events"])
        redaction.prime(self.request, context["adverse_events"])
        return context


class ClockDashboardView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    """Every running reporting clock of the study, soonest due first, with who is late; and
    the clocks that ended late in the last 90 days."""

    permission_required = ASSESS_AE
    template_name = "safety/clock_dashboard.html"
    paginate_by = RecordListView.paginate_by

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        page = Paginator(queue.running_clocks(user=user), self.paginate_by).get_page(
            self.request.GET.get("page")
        )
        context.update(
            page_obj=page,
            is_paginated=page.has_other_pages(),
            running=page.object_list,
            ended_late=queue.clocks_ended_late(user=user),
            late_days=queue.LATE_DAYS,
        )
        return context

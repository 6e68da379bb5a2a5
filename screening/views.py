from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import FormView, TemplateView, View
from django_filters.views import FilterView

from accounts.selectors import site_list
from participants.models import Participant
from participants.selectors import can_see_identity, casebook_locked
from records.edits import StepRefused
from records.views import (
    RecordHistoryView,
    RecordListView,
    ReturnToMixin,
    ScopedRecordMixin,
    ServiceFormMixin,
    nearest_page,
)
from screening import selectors, services
from screening.eligibility import InconsistentDataError
from screening.forms import (
    AssessmentForm,
    AttemptFilter,
    RescreenForm,
    ScreeningLogFilter,
    ScreeningStartForm,
)
from screening.models import ScreeningAttempt
from signatures.forms import SignatureForm
from signatures.models import Signature
from signatures.selectors import signature_rows, signatures_for
from signatures.services import SignatureRefusedError


class AttemptListView(RecordListView):
    permission_required = "screening.view_screeningattempt"
    filterset_class = AttemptFilter
    template_name = "screening/attempt_list.html"
    context_object_name = "attempts"
    selector = selectors.attempt_list

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_start"] = selectors.screenable_sites(user=self.request.user).exists()
        return context


class ScreeningStartView(LoginRequiredMixin, PermissionRequiredMixin, FormView):
    permission_required = "screening.add_screeningattempt"
    template_name = "screening/start.html"
    form_class = ScreeningStartForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["sites"] = selectors.screenable_sites(user=self.request.user)
        return kwargs

    def form_valid(self, form):
        try:
            attempt = services.screening_start(
                actor=self.request.user,
                site=form.cleaned_data["site"],
                identity=form.identity_data(),
                screened_on=form.cleaned_data["screened_on"],
                duplicate_confirmed=form.cleaned_data["confirm_duplicate"],
                duplicate_reason=form.cleaned_data["duplicate_reason"],
            )
        except services.DuplicateCandidateError as error:  # registered since the form's check
            form.refuse_duplicate(error)
            return self.form_invalid(form)
        except StepRefused as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"{attempt.participant.label} registered. Enter the screening assessments.",
        )
        return redirect("screening:edit", pk=attempt.pk)


class AttemptMixin(ScopedRecordMixin):
    """Loads the attempt named in the URL within the user's scope (404 outside it); its times are
    those of the candidate's site."""

    record_name = "attempt"
    permission = "screening.view_screeningattempt"
    denied_message = "Your role does not allow this on screenings."

    def load_record(self):
        return selectors.attempt_get(user=self.request.user, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        attempt = self.attempt
        locked = casebook_locked(attempt.participant)
        context.update(
            attempt=attempt,
            participant=attempt.participant,
            can_see_identity=can_see_identity(user=user, participant=attempt.participant),
            locked_casebook=locked,
            can_edit=attempt.is_editable
            and locked is None
            and user.has_perm("screening.change_screeningattempt", attempt),
            can_confirm=locked is None
            and user.has_perm("screening.confirm_screeningattempt", attempt),
            signature_rows=signature_rows(record=attempt),
        )
        return context


class AttemptDetailView(AttemptMixin, TemplateView):
    template_name = "screening/attempt_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        attempt = self.attempt
        earlier = (
            ScreeningAttempt.objects.filter(participant_id=attempt.participant_id)
            .exclude(pk=attempt.pk)
            .order_by("number")
        )
        context.update(
            results=attempt.results,
            other_attempts=list(earlier),
            can_rescreen=attempt.status == ScreeningAttempt.Status.SCREEN_FAILED
            and attempt.participant.status == Participant.Status.SCREEN_FAILED
            and self.request.user.has_perm("screening.add_screeningattempt", attempt),
            rescreen_form=RescreenForm(),
        )
        return context


SCREENING_CLOSED = "This screening is closed and can no longer be changed."


class AssessmentEditView(ReturnToMixin, ServiceFormMixin, AttemptMixin, FormView):
    """The screening's assessments; saved, back to the screening, or to `?next=`."""

    permission = "screening.change_screeningattempt"
    template_name = "screening/assessment_form.html"
    refusals = (ValidationError, InconsistentDataError, services.ScreeningError)

    def get(self, request, *args, **kwargs):
        if not self.attempt.is_editable:
            messages.warning(request, SCREENING_CLOSED)
            return redirect("screening:detail", pk=self.attempt.pk)
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if not self.attempt.is_editable:
            raise PermissionDenied(SCREENING_CLOSED)
        return super().post(request, *args, **kwargs)

    def form_for(self, record, **kwargs):
        return AssessmentForm(
            **kwargs,
            instance=record,
            answers=selectors.attempt_answers(attempt=record),
            date_of_birth=selectors.attempt_date_of_birth(attempt=record),
        )

    def save(self, form):
        services.screening_update(
            actor=self.request.user,
            attempt=form.instance,
            answers=form.answer_data(),
            expected_version=form.cleaned_data["version"],
            reason=form.cleaned_data.get("reason", ""),
        )
        messages.success(self.request, "Assessments saved. The criteria were recomputed.")
        return self.saved(reverse("screening:detail", args=[self.attempt.pk]))


class AttemptStepView(AttemptMixin, View):
    """A step on the attempt taken with one button: its service, and what the user is told."""

    permission = "screening.change_screeningattempt"
    service = None
    success_message = ""

    def post(self, request, *args, **kwargs):
        try:
            type(self).service(actor=request.user, attempt=self.attempt)
        except StepRefused as error:
            messages.error(request, str(error))
        else:
            messages.success(request, self.success_message)
        return redirect("screening:detail", pk=self.attempt.pk)


class AttemptSubmitView(AttemptStepView):
    service = services.screening_submit
    success_message = "Submitted. The site investigator can now review it."


class AttemptFailView(AttemptStepView):
    service = services.screening_fail
    success_message = "Recorded as a screen failure, with every reason kept."


class RescreenView(AttemptMixin, FormView):
    permission = "screening.add_screeningattempt"
    form_class = RescreenForm
    template_name = "screening/rescreen.html"

    def form_valid(self, form):
        try:
            attempt = services.screening_restart(
                actor=self.request.user,
                participant=self.attempt.participant,
                screened_on=form.cleaned_data["screened_on"],
            )
        except StepRefused as error:
            messages.error(self.request, str(error))
            return redirect("screening:detail", pk=self.attempt.pk)
        messages.success(self.request, f"Re-screen {attempt.number} started.")
        return redirect("screening:edit", pk=attempt.pk)


class ConfirmView(AttemptMixin, FormView):
    permission = "screening.confirm_screeningattempt"
    denied_message = services.CONFIRM_REFUSED
    template_name = "screening/confirm.html"

    def get_form(self, form_class=None):
        return SignatureForm(
            **self.get_form_kwargs(), signer=self.request.user, submit_label="Sign and confirm"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            sign_form=context["form"],
            meaning_label=Signature.Meaning.APPROVED.label,
            statement=services.CONFIRM_STATEMENT,
            results=self.attempt.results,
        )
        return context

    def form_valid(self, form):
        try:
            services.eligibility_confirm(
                actor=self.request.user,
                attempt=self.attempt,
                password=form.cleaned_data["password"],
                request=self.request,
            )
        except SignatureRefusedError as error:
            form.add_error("password", str(error))
            return self.form_invalid(form)
        except StepRefused as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        self.attempt.participant.refresh_from_db()
        messages.success(
            self.request,
            f"Eligibility confirmed and signed. {self.attempt.participant.label} is enrolled.",
        )
        return redirect("screening:detail", pk=self.attempt.pk)


class AttemptHistoryView(RecordHistoryView):
    subject_name = "attempt"

    def get_records(self):
        attempt = selectors.attempt_get(user=self.request.user, pk=self.kwargs["pk"])
        return [attempt, *attempt.answers.all(), *signatures_for(record=attempt)]


class ScreeningLogView(LoginRequiredMixin, PermissionRequiredMixin, FilterView):
    """Screened, failed (by reason) and enrolled, per site and in all; a table and a chart."""

    permission_required = "screening.view_screeningattempt"
    filterset_class = ScreeningLogFilter
    template_name = "screening/log.html"
    # The log pages its sites (the totals count all of them); the attempts are only counted.
    sites_per_page = 25

    def get_queryset(self):
        return selectors.attempt_list(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        sites = site_list(self.request.user, selectors.VIEW)
        # A refused field (beside it) counts nothing; the fields accepted still hold (the site).
        refused = self.filterset.is_bound and not self.filterset.is_valid()
        filters = getattr(self.filterset.form, "cleaned_data", {})
        site = filters.get("site")
        if site is not None:
            sites = sites.filter(pk=site.pk)
        paginator = Paginator(sites, self.sites_per_page)
        page = nearest_page(paginator, self.request.GET.get("page"))
        log = selectors.screening_log(
            user=self.request.user,
            # Empty when a filter is refused (beside its field), as the other lists show.
            attempts=self.object_list,
            sites=sites,
            page_sites=list(page.object_list),
            period=None if refused else filters.get("period"),
            refused=refused,
        )
        context.update(
            log=log, paginator=paginator, page_obj=page, is_paginated=page.has_other_pages()
        )
        context["chart"] = {
            "sites": [str(row.site) for row in log.rows],
            "screened": [row.screened for row in log.rows],
            "failed": [row.failed for row in log.rows],
            "enrolled": [row.enrolled for row in log.rows],
            "reasons": [code for code, _, _ in log.reasons],
            "reason_counts": [n for _, _, n in log.reasons],
        }
        return context

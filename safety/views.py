"""Adverse events: a site opens a draft (often from a reading over a threshold) and completes
it; the investigator submits it with an e-signature; later changes are follow-up reports, drafted
by the site's staff and signed by the investigator. The sponsor sees counts only."""

import copy

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.views.generic import FormView, TemplateView

from accounts.models import Study
from accounts.selectors import may_see_free_text, user_scope
from audit.services import ConcurrentEditError
from participants.selectors import casebook_locked, participant_get, participant_list
from records import redaction
from records.edits import StepRefused
from records.forms import add_service_error
from records.pdf import pdf_response
from records.views import (
    RecordListView,
    ScopedRecordMixin,
    ServiceFormMixin,
    SiteTimeZoneMixin,
    nearest_page,
)
from safety import cioms, queue, review, selectors, services
from safety.clocks import clocks
from safety.forms import (
    AdverseEventDraftForm,
    AdverseEventEditForm,
    AdverseEventFilter,
    AdverseEventFollowUpForm,
    AdverseEventSubmitForm,
    AssessmentForm,
    FollowUpSignForm,
    ParticipantChoiceForm,
    ReferenceSafetyInformationForm,
    RegulatorySubmissionForm,
    ReviewQueueFilter,
    ReviewSignForm,
)
from safety.models import (
    COMMON_TERMS,
    SPECIAL_INTEREST,
    AdverseEvent,
    AdverseEventReview,
    Causality,
    ReferenceSafetyInformation,
    RegulatorySubmission,
)
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
                reading_events=list(self.reading.adverse_events.order_by("pk")),
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
            can_assess=not ae.is_draft and user.has_perm(review.ASSESS_AE, ae),
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


class SigningFormMixin:
    """A form of the signer's password: `sign(form)` calls the signing service and returns the
    response; a wrong password is said beside the field, any other refusal above the form."""

    def sign(self, form):
        raise NotImplementedError

    def form_valid(self, form):
        try:
            return self.sign(form)
        except SignatureRefusedError as error:
            form.add_error("password", str(error))
        except (ConcurrentEditError, StepRefused, ValidationError) as error:
            add_service_error(form, error)
        return self.form_invalid(form)


class AdverseEventFollowUpSignView(FollowUpMixin, SigningFormMixin, FormView):
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

    def sign(self, form):
        report = services.adverse_event_follow_up_sign(
            actor=self.request.user,
            adverse_event=self.ae,
            password=form.cleaned_data["password"],
            expected_version=form.cleaned_data["version"],
            request=self.request,
        )
        closed = " The event is closed." if report.final else ""
        messages.success(self.request, f"{report.label} signed.{closed}")
        return redirect("safety:ae_detail", pk=self.ae.pk)


class ReviewMixin(AdverseEventMixin):
    """The medical monitor's review page of a submitted event: its clocks, the assessment, the
    review signature and, for a SUSAR, its reports to the regulator. Each form posts to its own
    URL (`form_name` says which the view binds); a refusal shows the page again with the others
    as they were."""

    permission = review.ASSESS_AE
    denied_message = review.ASSESS_REFUSED
    template_name = "safety/ae_review.html"
    form_name = ""

    def record_loaded(self):
        self.review = getattr(self.ae, "review", None) if not self.ae.is_draft else None

    def get(self, request, *args, **kwargs):
        if self.review is None:
            messages.info(request, review.NOT_SUBMITTED)
            return redirect("safety:ae_detail", pk=self.ae.pk)
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if self.review is None:
            messages.info(request, review.NOT_SUBMITTED)
            return redirect("safety:ae_detail", pk=self.ae.pk)
        return super().post(request, *args, **kwargs)

    def _forms(self) -> dict:
        ae, current = self.ae, self.review
        kinds = [RegulatorySubmission.Kind.INITIAL]
        if current.susar_fatal_or_life_threatening:
            kinds.append(RegulatorySubmission.Kind.FOLLOW_UP)
        done = {s.kind for s in ae.regulatory_submissions.all()}
        kinds = [k for k in kinds if k not in done]
        return {
            "assessment_form": lambda: AssessmentForm(
                instance=copy.copy(current), study=ae.participant.site.study
            ),
            "sign_form": lambda: ReviewSignForm(review=current, signer=self.request.user),
            "regulatory_form": lambda: (
                RegulatorySubmissionForm(adverse_event=ae, kinds=kinds)
                if current.susar_since and kinds
                else None
            ),
        }

    def get_context_data(self, **kwargs):
        if "form" in kwargs:
            kwargs[self.form_name] = kwargs.pop("form")
        context = super().get_context_data(**kwargs)
        context.pop("form", None)
        for name, make in self._forms().items():
            if name not in context:
                context[name] = make()
        current = self.review
        rsi = current.reference_safety_information
        context.update(
            review=current,
            clocks=clocks(self.ae, current, list(self.ae.regulatory_submissions.all())),
            reference_versions=list(
                ReferenceSafetyInformation.objects.filter(study=self.ae.participant.site.study)
            ),
            term_listed=rsi.lists(self.ae.verbatim_term) if rsi else None,
            open_queries=review.open_queries(self.ae),
            review_signatures=Signature.objects.filter(
                content_type=ContentType.objects.get_for_model(AdverseEventReview),
                object_pk=str(current.pk),
            ).select_related("signer"),
            conservative=Causality.more_conservative(self.ae.causality, current.sponsor_causality),
            meaning_label=Signature.Meaning.REVIEWED.label,
            statement=review.REVIEW_STATEMENT,
            tab="review",
        )
        return context


class AdverseEventReviewView(ReviewMixin, ServiceFormMixin, FormView):
    """The review page, and the assessment it saves."""

    form_name = "assessment_form"
    refusals = (ValidationError, review.ReviewError)

    def record_loaded(self):
        super().record_loaded()
        self.record = self.review

    def reload(self):
        self.review = AdverseEventReview.objects.select_related("reference_safety_information").get(
            pk=self.review.pk
        )
        return self.review

    def form_for(self, record, **kwargs):
        return AssessmentForm(instance=record, study=self.ae.participant.site.study, **kwargs)

    def save(self, form):
        review.review_assess(
            actor=self.request.user,
            review=self.review,
            expected_version=form.cleaned_data["version"],
            **form.values(),
        )
        messages.success(self.request, "Assessment saved. The event is under review.")
        return redirect("safety:ae_review", pk=self.ae.pk)


class AdverseEventReviewSignView(ReviewMixin, SigningFormMixin, FormView):
    """The monitor's e-signature of the review (POST only; the form is on the review page)."""

    form_name = "sign_form"
    http_method_names = ["post"]

    def get_form(self, form_class=None):
        return ReviewSignForm(
            **self.get_form_kwargs(), review=self.review, signer=self.request.user
        )

    def sign(self, form):
        review.review_sign(
            actor=self.request.user,
            review=self.review,
            password=form.cleaned_data["password"],
            expected_version=form.cleaned_data["version"],
            request=self.request,
        )
        messages.success(self.request, "Review signed: the adverse event is reviewed.")
        return redirect("safety:ae_review", pk=self.ae.pk)


class RegulatorySubmissionView(ReviewMixin, FormView):
    """Record a SUSAR's report to the regulator (POST only; the form is on the review page)."""

    form_name = "regulatory_form"
    http_method_names = ["post"]

    def get_form(self, form_class=None):
        kinds = [k.value for k in RegulatorySubmission.Kind]
        return RegulatorySubmissionForm(
            **self.get_form_kwargs(), adverse_event=self.ae, kinds=kinds
        )

    def form_valid(self, form):
        try:
            submission = review.regulatory_submission_record(
                actor=self.request.user, adverse_event=self.ae, **form.cleaned_data
            )
        except (review.ReviewError, ValidationError) as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"{submission.get_kind_display()} to the regulator recorded: its clock is stopped.",
        )
        return redirect("safety:ae_review", pk=self.ae.pk)


class ReferenceSafetyInformationView(LoginRequiredMixin, PermissionRequiredMixin, FormView):
    """The versions of the reference safety information of the user's studies; the study
    administrator adds a new version (none is changed)."""

    permission_required = "safety.view_referencesafetyinformation"
    template_name = "safety/rsi.html"
    form_class = ReferenceSafetyInformationForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.study_ids = review.studies_with(request.user, self.permission_required)
            self.add_ids = review.studies_with(request.user, review.ADD_RSI)
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if not self.add_ids:
            raise PermissionDenied(review.RSI_REFUSED)
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        studies = Study.objects.filter(pk__in=self.study_ids).order_by("code")
        versions = ReferenceSafetyInformation.objects.filter(
            study_id__in=self.study_ids
        ).select_related("created_by")
        by_study = {study.pk: [] for study in studies}
        for version in versions:
            by_study[version.study_id].append(version)
        context["studies"] = [(study, by_study[study.pk]) for study in studies]
        context["can_add"] = bool(self.add_ids)
        return context

    def get_form_kwargs(self):
        studies = Study.objects.filter(pk__in=self.add_ids).order_by("code")
        return {**super().get_form_kwargs(), "studies": studies}

    def form_valid(self, form):
        try:
            rsi = review.reference_safety_information_add(
                actor=self.request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        messages.success(
            self.request, f"Version {rsi.version} of the reference safety information added."
        )
        return redirect("safety:rsi")


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


class AdverseEventCiomsView(AdverseEventMixin, TemplateView):
    """The event as the CIOMS I form, to print: for those who may read its free text (the
    site's staff, the medical monitor). A draft is printed marked as not submitted."""

    template_name = "safety/ae_cioms.html"
    pdf = False

    def check_record(self):
        if not may_see_free_text(self.request.user, self.ae):
            raise PermissionDenied(cioms.REFUSED)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(cioms=cioms.cioms_report(self.ae), pdf=self.pdf)
        return context


class AdverseEventCiomsPdfView(AdverseEventCiomsView):
    """The same form as a PDF made on the server, to save."""

    pdf = True

    def render_to_response(self, context, **response_kwargs):
        return pdf_response(
            self.request, self.template_name, context, filename=context["cioms"].filename
        )


class ReviewQueueView(RecordListView):
    """The medical monitor's queue of submitted events, most urgent first (safety.queue), each
    with its clocks."""

    permission_required = review.ASSESS_AE
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

    permission_required = review.ASSESS_AE
    template_name = "safety/clock_dashboard.html"
    paginate_by = RecordListView.paginate_by

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        page = nearest_page(
            Paginator(queue.running_clocks(user=user), self.paginate_by),
            self.request.GET.get("page"),
        )
        context.update(
            page_obj=page,
            is_paginated=page.has_other_pages(),
            running=page.object_list,
            ended_late=queue.clocks_ended_late(user=user),
            late_days=queue.LATE_DAYS,
        )
        return context

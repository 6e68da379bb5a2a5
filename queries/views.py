"""The monitor-review pages.

Data queries: raising one on a record, the query with its thread and its steps (answer, close,
reopen), and the worklist. Source-data verification: marking records verified (one record, or a
visit or a dosing session with every record of it, in one submission), a participant's records
with their verification state, and the progress figures per site and per participant."""

import django_filters
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.views import View
from django.views.generic import FormView, TemplateView

from accounts.permissions import SDV_PROGRESS
from participants.models import Participant
from participants.selectors import casebook_locked, participant_get
from queries import selectors, services
from queries.forms import AnswerForm, CloseForm, QueryFilter, QueryRaiseForm, ReopenForm
from queries.models import Query
from records import queryable
from records.edits import StepRefused
from records.forms import add_service_error, site_filter
from records.steps import RecordStepsMixin, Step, Steps
from records.views import (
    RecordListView,
    ScopedRecordMixin,
    activate_site_time_zone,
    nearest_page,
    next_url,
)


def _may(user, perm: str, query: Query) -> bool:
    return user.has_perm(perm, query)


def _answer_offered(view) -> bool:
    return view.query.state == Query.State.OPEN and _may(
        view.request.user, services.ANSWER, view.query
    )


def _close_offered(view) -> bool:
    user, query = view.request.user, view.query
    if query.state == Query.State.CLOSED or not _may(user, services.CLOSE, query):
        return False
    if _may(user, services.CLOSE_UNANSWERED, query):
        return True
    return query.state == Query.State.ANSWERED and not query.answer_unread


def _reopen_offered(view) -> bool:
    return view.query.state != Query.State.OPEN and _may(
        view.request.user, services.REOPEN, view.query
    )


def _answered(query: Query) -> str:
    return "Answer sent: the monitor reviews it next."


def _step(form_class, *, offered, service, arguments, message) -> Step:
    """A step of the query's page: its form (bound to the query) posts its action."""
    return Step(
        form_class.action,
        lambda view, data: form_class(data=data, query=view.query),
        offered=offered,
        service=service,
        arguments=arguments,
        message=message,
    )


QUERY_STEPS = Steps(
    [
        _step(
            AnswerForm,
            offered=_answer_offered,
            service=services.query_answer,
            arguments=("text", "corrected"),
            message=_answered,
        ),
        _step(
            CloseForm,
            offered=_close_offered,
            service=services.query_close,
            arguments=("text",),
            message="Query closed.",
        ),
        _step(
            ReopenForm,
            offered=_reopen_offered,
            service=services.query_reopen,
            arguments=("text",),
            message="Query reopened: it waits for the site's answer again.",
        ),
    ]
)


class QueryDetailView(RecordStepsMixin, ScopedRecordMixin, TemplateView):
    """A query, its record and field, its thread, and the steps its state offers the user."""

    template_name = "queries/query_detail.html"
    record_name = "query"
    permission = selectors.VIEW
    denied_message = "Your role does not include data queries."
    steps = QUERY_STEPS
    unknown_step_message = "Unknown query step."
    step_denied_message = "Your role does not include answering or closing queries."
    step_permissions = (services.ANSWER, services.CLOSE, services.REOPEN)
    url_name = "queries:detail"

    def load_record(self):
        return selectors.query_get(user=self.request.user, pk=self.kwargs["pk"])

    def record_site(self):
        return self.query.participant.site

    def get(self, request, *args, **kwargs):
        if self.query.answer_unread:
            read = services.query_answer_read(actor=request.user, query=self.query)
            self.query.answer_read_at, self.query.answer_read_by = (
                read.answer_read_at,
                read.answer_read_by,
            )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.query
        record = query.record
        entry = queryable.of_record(record) if record is not None else None
        user = self.request.user
        context.update(
            query=query,
            thread=list(query.messages.all()),
            subject=record,
            participant=query.participant,
            entry=entry,
            kind=entry.kind if entry else query.content_type.name,
            field_label=entry.field_label(query.field_name) if entry else query.field_name,
            field_value=entry.value(record, query.field_name) if entry else "",
            record_page=entry.url(record) if entry else "",
            correction_url=(
                entry.correction_url(record)
                if entry and _answer_offered(self) and user.has_perm(services.ANSWER, query)
                else None
            ),
            changed_since=query.data_changed_since(record),
        )
        return context


class QueryRaiseView(LoginRequiredMixin, FormView):
    """A monitor's question on one record (`?record=app.model&id=pk`, `&field=name` preselected)."""

    template_name = "queries/query_raise.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.entry, self.subject = queryable.find(
            request.GET.get("record", ""), request.GET.get("id", "")
        )
        # Outside the user's scope a record is not found; inside it, raising may be refused.
        if self.subject is None or not request.user.has_perm(selectors.VIEW, self.subject):
            raise Http404("No such record.")
        if not request.user.has_perm(services.RAISE, self.subject):
            raise PermissionDenied("Your role does not include raising queries.")
        activate_site_time_zone(self.subject.participant.site)
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        field = self.request.GET.get("field", "")
        return {"field_name": field if field in self.entry.fields else ""}

    def get_form(self, form_class=None):
        return QueryRaiseForm(entry=self.entry, **self.get_form_kwargs())

    def form_valid(self, form):
        try:
            query = services.query_raise(
                actor=self.request.user,
                record=self.subject,
                field_name=form.cleaned_data["field_name"],
                text=form.cleaned_data["text"],
            )
        except (ValidationError, StepRefused) as error:
            add_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, "Query raised: the site sees it on its home page.")
        return redirect("queries:detail", pk=query.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        entry, record = self.entry, self.subject
        context.update(
            entry=entry,
            subject=record,
            participant=record.participant,
            record_label=entry.label(record),
            record_page=entry.url(record),
            values=[
                (label, entry.value(record, name), name in entry.hidden_fields)
                for name, label in entry.fields.items()
            ],
            open_queries=selectors.markers_for(records=[record]).on_record(record),
            # A locked casebook's record is not queried: the page says so instead of asking.
            locked_casebook=casebook_locked(record.participant),
        )
        return context


class QueryListView(RecordListView):
    """The worklist: open and answered queries of the user's scope, longest waiting first."""

    template_name = "queries/query_list.html"
    permission_required = selectors.VIEW
    filterset_class = QueryFilter
    context_object_name = "queries"
    selector = selectors.worklist


# Source-data verification.


def _verified_message(done: services.Verified) -> str:
    message = f"Marked verified against the source: {done.marked} record{'s' * (done.marked != 1)}."
    if done.already:
        message += f" {done.already} verified at their current version already: not marked again."
    if done.skipped:
        message += f" {done.skipped} struck through or not yet held: skipped."
    return message


class SdvVerifyView(LoginRequiredMixin, View):
    """POST only: a monitor marks a record (`record=app.model`, `id`) verified, with the records
    that belong to it when `parts=all` (a visit, a dosing session). A record outside the user's
    scope is not found; a refusal (verified already) is said on the page it came from."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        entry, record = queryable.find(request.POST.get("record", ""), request.POST.get("id", ""))
        if record is None or not request.user.has_perm(SDV_PROGRESS, record):
            raise Http404("No such record.")
        if not request.user.has_perm(selectors.VERIFY, record):
            raise PermissionDenied(services.VERIFY_REFUSED)
        try:
            done = services.source_verify(
                actor=request.user, record=record, with_parts=request.POST.get("parts") == "all"
            )
        except StepRefused as error:
            messages.warning(request, str(error))
        else:
            messages.success(request, _verified_message(done))
        return redirect(next_url(request, entry.url(record)))


class SdvFilter(django_filters.FilterSet):
    site = site_filter(SDV_PROGRESS, label="Site")

    class Meta:
        model = Participant
        fields = ["site"]


class SdvProgressView(RecordListView):
    """Per site and per participant: records verified of those to verify, the percentage, and
    how many were verified and changed since. Counts only: no record is named."""

    template_name = "queries/sdv_progress.html"
    permission_required = SDV_PROGRESS
    filterset_class = SdvFilter
    context_object_name = "participants"
    selector = selectors.sdv_participants

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        site = self.filterset.form.cleaned_data.get("site") if self.filterset.is_valid() else None
        user = self.request.user
        context.update(
            site_rows=selectors.sdv_site_progress(user=user, site=site),
            participant_rows=selectors.sdv_participant_progress(
                participants=context["participants"]
            ),
            may_open_records=user.has_perm(selectors.SDV_RECORDS),
        )
        return context


class SdvParticipantView(ScopedRecordMixin, TemplateView):
    """One participant's records to verify, kind by kind: verified (by whom, when), changed since
    (what, by whom, when), or not yet; the monitor verifies each from here."""

    template_name = "queries/sdv_participant.html"
    record_name = "participant"
    permission = selectors.SDV_RECORDS
    denied_message = services.VERIFY_REFUSED
    paginate_by = 100

    def load_record(self):
        return participant_get(user=self.request.user, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        participant = self.participant
        records = selectors.sdv_records(participant=participant)
        page = nearest_page(Paginator(records, self.paginate_by), self.request.GET.get("page"))
        (tally,) = selectors.sdv_participant_progress(participants=[participant])
        context.update(
            participant=participant,
            page_obj=page,
            is_paginated=page.has_other_pages(),
            rows=list(page),
            sdv=selectors.sdv_marks_for(records=[row.record for row in page]),
            tally=tally,
            can_verify=self.request.user.has_perm(selectors.VERIFY, participant),
        )
        return context

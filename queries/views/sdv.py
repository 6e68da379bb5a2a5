"""The pages of source-data verification: marking records verified (one record, or a visit or a
dosing session with every record of it, in one submission), a participant's records with their
verification state, and the monitor's progress figures per site and per participant."""

import django_filters
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.views import View
from django.views.generic import TemplateView

from accounts.permissions import SDV_PROGRESS
from accounts.selectors import site_list
from participants.models import Participant
from participants.selectors import participant_get
from queries import selectors, services
from records import queryable
from records.edits import StepRefused
from records.views import RecordListView, ScopedRecordMixin, next_url

VERIFY_REFUSED = "Your role does not include source-data verification."


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
            raise PermissionDenied(VERIFY_REFUSED)
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
    site = django_filters.ModelChoiceFilter(
        queryset=lambda request: site_list(request.user, SDV_PROGRESS), label="Site"
    )

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
    denied_message = "Your role does not include source-data verification."
    paginate_by = 100

    def load_record(self):
        return participant_get(user=self.request.user, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        participant = self.participant
        records = selectors.sdv_records(participant=participant)
        page = Paginator(records, self.paginate_by).get_page(self.request.GET.get("page"))
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

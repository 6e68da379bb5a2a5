"""The participant's page with their course of visits, their history, and their withdrawal from
the study: pages of the participants app that show the course (they live here, above it)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.views.generic import DetailView, FormView

from participants import selectors
from participants.forms import WithdrawalForm
from participants.models import ParticipantIdentity
from participants.views import ParticipantContextMixin, ParticipantMixin
from queries.selectors import VERIFY, participant_open_count, sdv_page, sdv_participant_progress
from records.forms import form_values
from records.views import RecordHistoryView, ServiceFormMixin
from sessions_app.models import Visit
from sessions_app.selectors import course_for
from sessions_app.services.visits import participant_withdraw


class ParticipantDetailView(ParticipantMixin, DetailView):
    template_name = "participants/participant_detail.html"

    def get_object(self, queryset=None):
        if not self.request.user.has_perm("participants.view_participant", self.participant):
            raise PermissionDenied
        return self.participant

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["course"] = course = course_for(user=user, participant=self.participant)
        # Source-data verification: each visit's state, the participant's figures, the button.
        context["sdv"] = sdv_page(user=user, about=self.participant, records=course)
        if context["sdv"] is not None:
            (context["sdv_tally"],) = sdv_participant_progress(participants=[self.participant])
        context["can_verify"] = user.has_perm(VERIFY, self.participant)
        context["can_withdraw"] = self.request.user.has_perm(
            "participants.withdraw_participant", self.participant
        )
        if self.request.user.has_perm("queries.view_query", self.participant):
            context["open_query_count"] = participant_open_count(participant=self.participant)
        context["can_raise_query"] = self.request.user.has_perm(
            "queries.add_query", self.participant
        )
        return context


class ParticipantHistoryView(ParticipantContextMixin, RecordHistoryView):
    def get_records(self):
        participant = selectors.participant_get(user=self.request.user, pk=self.kwargs["pk"])
        records = [participant]
        identity = ParticipantIdentity.objects.filter(participant=participant).first()
        if identity is not None:
            records.append(identity)
        records.append(Visit.objects.filter(participant=participant))  # held, missed, moved
        self.participant = participant
        return records


class WithdrawView(ServiceFormMixin, ParticipantMixin, FormView):
    """The site investigator withdraws an enrolled participant from the study."""

    template_name = "participants/withdraw_form.html"
    permission = "participants.withdraw_participant"
    denied_message = "Your role does not include withdrawing participants."

    def form_for(self, record, **kwargs):
        return WithdrawalForm(participant=record, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["course"] = course_for(user=self.request.user, participant=self.participant)
        return context

    def save(self, form):
        data = form.cleaned_data
        participant_withdraw(
            actor=self.request.user,
            participant=self.participant,
            **form_values(form, ("withdrawn_on", "category", "details", "version")),
        )
        messages.success(
            self.request,
            f"{self.participant.label} was withdrawn from the study on "
            f"{data['withdrawn_on']:%d %b %Y}. The visits not held are no longer expected.",
        )
        return redirect("participants:detail", pk=self.participant.pk)

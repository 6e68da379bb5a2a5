from django.contrib import messages
from django.shortcuts import redirect
from django.views.generic import FormView, TemplateView

from participants import selectors, services
from participants.forms import IdentityForm, ParticipantFilter
from participants.models import ParticipantIdentity
from records.views import RecordListView, ScopedRecordMixin, ServiceFormMixin


class ParticipantListView(RecordListView):
    permission_required = "participants.view_participant"
    filterset_class = ParticipantFilter
    template_name = "participants/participant_list.html"
    context_object_name = "participants"
    selector = selectors.participant_list


class ParticipantContextMixin:
    """Puts `self.participant`, and whether the user may see their identity, in the context."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["participant"] = self.participant
        # Its state beside the participant's name; a locked one in a banner above the page.
        context["casebook"] = selectors.casebook_of(self.participant)
        context["can_see_identity"] = selectors.can_see_identity(
            user=self.request.user, participant=self.participant
        )
        return context


class ParticipantMixin(ParticipantContextMixin, ScopedRecordMixin):
    """Loads the participant named in the URL, within the user's site scope (404 outside it);
    dates and times are those of the participant's site.

    With `permission` set, a user whose role does not grant it on the participant is refused
    with `denied_message`, after `record_loaded()` has loaded what the page is about.
    """

    record_name = "participant"

    def load_record(self):
        return selectors.participant_get(user=self.request.user, pk=self.kwargs["pk"])


class IdentityMixin(ParticipantMixin):
    permission = "participants.view_participantidentity"
    denied_message = "Your role does not include seeing identities."

    def record_loaded(self) -> None:
        self.identity = selectors.identity_get(user=self.request.user, participant=self.participant)


class IdentityView(IdentityMixin, TemplateView):
    template_name = "participants/identity_detail.html"

    def get(self, request, *args, **kwargs):
        services.identity_view(actor=request.user, identity=self.identity)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["identity"] = self.identity
        return context


class IdentityEditView(ServiceFormMixin, IdentityMixin, FormView):
    permission = "participants.change_participantidentity"
    template_name = "participants/identity_form.html"

    def get(self, request, *args, **kwargs):
        services.identity_view(actor=request.user, identity=self.identity)
        return super().get(request, *args, **kwargs)

    def record_loaded(self) -> None:
        super().record_loaded()
        self.record = self.identity

    def form_for(self, record, **kwargs):
        return IdentityForm(instance=record, **kwargs)

    def reload(self):
        current = ParticipantIdentity.objects.get(pk=self.identity.pk)
        # The page shows the identity saved meanwhile: that is a view of it.
        services.identity_view(actor=self.request.user, identity=current)
        return current

    def save(self, form):
        services.identity_update(
            actor=self.request.user,
            identity=form.instance,
            expected_version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
        )
        messages.success(self.request, "Identity saved. The change is in the audit trail.")
        return redirect("participants:identity", pk=self.participant.pk)

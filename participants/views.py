from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.views.generic import FormView, TemplateView
from django_filters.views import FilterView

from audit.services import ConcurrentEditError
from participants import selectors, services
from participants.forms import IdentityForm, ParticipantFilter
from participants.models import ParticipantIdentity
from records.forms import rebind_after_conflict
from records.views import SiteTimeZoneMixin


class ParticipantListView(LoginRequiredMixin, PermissionRequiredMixin, FilterView):
    permission_required = "participants.view_participant"
    filterset_class = ParticipantFilter
    template_name = "participants/participant_list.html"
    paginate_by = 25
    context_object_name = "participants"

    def get_queryset(self):
        return selectors.participant_list(user=self.request.user)


class ParticipantContextMixin:
    """Puts `self.participant`, and whether the user may see their identity, in the context."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["participant"] = self.participant
        context["can_see_identity"] = selectors.can_see_identity(
            user=self.request.user, participant=self.participant
        )
        return context


class ParticipantMixin(ParticipantContextMixin, SiteTimeZoneMixin, LoginRequiredMixin):
    """Loads the participant named in the URL, within the user's site scope (404 outside it);
    dates and times are those of the participant's site.

    With `permission` set, a user whose role does not grant it on the participant is refused
    with `denied_message`, after `participant_loaded()` has loaded what the page is about.
    """

    permission: str | None = None
    denied_message = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.participant = selectors.participant_get(user=request.user, pk=kwargs["pk"])
        self.participant_loaded()
        if self.permission and not request.user.has_perm(self.permission, self.participant):
            raise PermissionDenied(self.denied_message)
        return super().dispatch(request, *args, **kwargs)

    def participant_loaded(self) -> None:
        """Load what else the page is about (within the user's scope)."""

    def time_zone_site(self):
        return self.participant.site


class IdentityMixin(ParticipantMixin):
    permission = "participants.view_participantidentity"
    denied_message = "Your role does not include seeing identities."

    def participant_loaded(self) -> None:
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


class IdentityEditView(IdentityMixin, FormView):
    permission = "participants.change_participantidentity"
    template_name = "participants/identity_form.html"
    form_class = IdentityForm

    def get(self, request, *args, **kwargs):
        services.identity_view(actor=request.user, identity=self.identity)
        return super().get(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.identity
        return kwargs

    def form_valid(self, form):
        try:
            services.identity_update(
                actor=self.request.user,
                identity=form.instance,
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
            )
        except ConcurrentEditError as error:
            current = ParticipantIdentity.objects.get(pk=self.identity.pk)
            services.identity_view(actor=self.request.user, identity=current)
            rebound = rebind_after_conflict(
                lambda data: self.get_form_class()(
                    data=data, instance=ParticipantIdentity.objects.get(pk=current.pk)
                ),
                data=self.request.POST,
                version=current.version,
                error=error,
            )
            return self.render_to_response(
                self.get_context_data(form=rebound, current=current, conflict=True)
            )
        messages.success(self.request, "Identity saved. The change is in the audit trail.")
        return redirect("participants:identity", pk=self.participant.pk)

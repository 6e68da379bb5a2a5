from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.views.generic import ListView, TemplateView

from accounts.models import Role
from accounts.selectors import user_scope
from audit.chain import chain_verify
from audit.masking import CONFIDENTIAL_NOTICE
from audit.selectors import history_for


class RecordHistoryView(LoginRequiredMixin, ListView):
    """Who changed what, when and why, for one record and the records that belong to it.

    Subclasses implement `get_records()`, which must enforce the user's site scope (raise Http404
    outside it) and return the subject record first, then the records that belong to it or
    querysets of them (see `history_for`).

    The values of confidential records (settings.AUDIT_CONFIDENTIAL_MODELS) are replaced by a
    notice, unless the page is that record's own history and checks the record's own permission:
    such a page sets `shows_confidential = True`.
    """

    template_name = "audit/history.html"
    context_object_name = "entries"
    paginate_by = 50
    permission_required = "audit.view_logentry"
    shows_confidential = False

    def get_records(self) -> list:
        raise NotImplementedError

    def get_queryset(self):
        self.records = self.get_records()
        if not self.request.user.has_perm(self.permission_required, self.records[0]):
            raise PermissionDenied("Your role does not include reading the audit trail.")
        return history_for(records=self.records)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["subject"] = self.records[0]
        context["shows_confidential"] = self.shows_confidential
        context["confidential_notice"] = CONFIDENTIAL_NOTICE
        return context


class ChainVerifyView(LoginRequiredMixin, TemplateView):
    """Lets a study administrator check the audit trail's integrity on demand."""

    template_name = "audit/verify.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and Role.STUDY_ADMIN not in user_scope(request.user).roles:
            raise PermissionDenied("Only a study administrator can verify the audit trail.")
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(report=chain_verify()))

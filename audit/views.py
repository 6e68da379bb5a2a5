from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.views.generic import TemplateView

from audit.chain import chain_verify

VERIFY_CHAIN = "audit.verify_chain"


class ChainVerifyView(LoginRequiredMixin, TemplateView):
    """Lets a study administrator check the audit trail's integrity on demand."""

    template_name = "audit/verify.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm(VERIFY_CHAIN):
            raise PermissionDenied("Only a study administrator can verify the audit trail.")
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(report=chain_verify()))

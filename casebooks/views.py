"""The casebook pages: one participant's casebook (its state, checklist, signature and history,
and the steps its state offers: sign, lock, unlock), and the list of casebooks by state."""

from django.views.generic import TemplateView

from accounts.selectors import may_see_free_text
from casebooks import selectors, services
from casebooks.forms import CasebookFilter, LockForm, SignForm, UnlockForm
from participants.models import Casebook
from participants.selectors import casebook_of
from records.steps import RecordStepsMixin, Step, Steps
from records.views import RecordListView, ScopedRecordMixin


def _offered(state: str, perm: str):
    def offered(view) -> bool:
        return view.casebook.state == state and view.request.user.has_perm(perm, view.participant)

    return offered


def _sign(view, form) -> str:
    services.casebook_sign(
        actor=view.request.user,
        participant=view.participant,
        password=form.cleaned_data["password"],
        request=view.request,
    )
    return "Casebook signed: the study administrator may lock it now."


CASEBOOK_STEPS = Steps(
    [
        Step(
            "sign",
            lambda view, data: SignForm(data=data, signer=view.request.user),
            perform=_sign,
            offered=_offered(Casebook.State.OPEN, services.SIGN),
        ),
        Step(
            "lock",
            lambda view, data: LockForm(data=data),
            offered=_offered(Casebook.State.SIGNED, services.LOCK),
            service=services.casebook_lock,
            message="Casebook locked: no change to this participant's records is saved now.",
        ),
        Step(
            "unlock",
            lambda view, data: UnlockForm(data=data),
            offered=_offered(Casebook.State.LOCKED, services.LOCK),
            service=services.casebook_unlock,
            arguments=("reason",),
            message="Casebook unlocked: a change to the records now voids its signature.",
        ),
    ]
)


class CasebookDetailView(RecordStepsMixin, ScopedRecordMixin, TemplateView):
    template_name = "casebooks/casebook_detail.html"
    record_name = "participant"
    permission = selectors.VIEW
    denied_message = "Your role does not include casebooks."
    steps = CASEBOOK_STEPS
    unknown_step_message = "Unknown casebook step."
    step_denied_message = "Your role does not include signing or locking casebooks."
    step_permissions = (services.SIGN, services.LOCK)
    url_name = "casebooks:detail"

    def load_record(self):
        return selectors.participant_get(user=self.request.user, pk=self.kwargs["pk"])

    def record_loaded(self) -> None:
        self.casebook = casebook_of(self.participant)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        casebook = self.casebook
        user = self.request.user
        # The sponsor's roles see the state alone: the checklist, signatures and history are for
        # those who review or lock the casebook.
        details = may_see_free_text(user, self.participant) or user.has_perm(
            services.LOCK, self.participant
        )
        context.update(
            details=details,
            participant=self.participant,
            casebook=casebook,
            checklist=services.checklist(self.participant),
            signatures=selectors.casebook_signatures(casebook),
            history=selectors.casebook_history(casebook),
            sign_statement=services.SIGN_STATEMENT,
        )
        return context


class CasebookListView(RecordListView):
    """The casebooks of the user's scope by state, with the site and state filters."""

    template_name = "casebooks/casebook_list.html"
    permission_required = selectors.VIEW
    filterset_class = CasebookFilter
    context_object_name = "participants"
    selector = selectors.casebook_participants

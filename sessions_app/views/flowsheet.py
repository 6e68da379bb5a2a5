"""The dosing-session flowsheet: one page, used through an eight-hour session.

Every step posts to the page with its `action` (the registry of sessions_app/views/steps.py); a
refused step re-renders the page with the step's form bound, its errors beside the fields and
everything typed still there.
"""

from functools import cached_property

from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from participants.selectors import can_see_identity, casebook_locked
from queries.selectors import VERIFY, markers_for, sdv_page
from records.steps import StepsViewMixin
from records.views import ScopedRecordMixin
from sessions_app import selectors
from sessions_app.models import DosingSession
from sessions_app.views.steps import FLOWSHEET_STEPS
from signatures.selectors import signature_rows

CHANGE = "sessions_app.change_dosingsession"
SIGN = "sessions_app.sign_dosingsession"


class SessionMixin(ScopedRecordMixin):
    """Loads the session named in the URL within the user's scope (404 outside it); dates and
    times are the site's."""

    record_name = "session"
    permission = selectors.VIEW_SESSION
    denied_message = "Your role does not include dosing sessions."

    def load_record(self):
        return selectors.session_get(user=self.request.user, pk=self.kwargs["pk"])

    @cached_property
    def locked_casebook(self):
        return casebook_locked(self.session.visit.participant)

    @cached_property
    def can_edit(self) -> bool:
        """Whether the user may log this session (asked once a request): not while the
        participant's casebook is locked."""
        return self.request.user.has_perm(CHANGE, self.session) and self.locked_casebook is None

    def session_context(self) -> dict:
        user = self.request.user
        session = self.session
        participant = session.visit.participant
        return {
            "session": session,
            "visit": session.visit,
            "participant": participant,
            "can_see_identity": can_see_identity(user=user, participant=participant),
            "can_edit": self.can_edit,
            "can_sign": user.has_perm(SIGN, session) and self.locked_casebook is None,
            "locked_casebook": self.locked_casebook,
            # Only an ended session is signed (services.dosing_session_sign): none to read before.
            "signature_rows": signature_rows(record=session)
            if session.status == DosingSession.Status.ENDED
            else [],
        }


class FlowsheetView(StepsViewMixin, SessionMixin, TemplateView):
    """The flowsheet and its steps (sessions_app/views/steps.py)."""

    template_name = "sessions_app/flowsheet.html"
    steps = FLOWSHEET_STEPS
    unknown_step_message = "Unknown flowsheet step."
    step_permission = CHANGE
    step_denied_message = "Your role does not include logging dosing sessions."

    def step_record(self):
        return self.session

    def may_take_steps(self) -> bool:
        return self.can_edit

    def step_arguments(self) -> dict:
        return {"actor": self.request.user, "session": self.session}

    def record_url(self) -> str:
        return reverse("sessions_app:flowsheet", args=[self.session.pk])

    def load_step_state(self) -> None:
        """The flowsheet is read when first needed (a posted reading needs none of it), and read
        again after this."""
        self.__dict__.pop("sheet", None)

    @cached_property
    def sheet(self) -> selectors.Flowsheet:
        return selectors.flowsheet_for(session=self.session)

    def reload(self):
        self.session = selectors.session_get(user=self.request.user, pk=self.session.pk)
        return self.session

    def get_context_data(self, bound_form=None, **kwargs):
        context = super().get_context_data(bound_form=bound_form, **kwargs)
        context.update(self.session_context())
        sheet = self.sheet
        now = timezone.now()
        entries = [*sheet.readings, *sheet.administrations, *sheet.observations]
        user = self.request.user
        context.update(
            sheet=sheet,
            now=now,
            due_minutes=(
                int((sheet.next_due - now).total_seconds() // 60) if sheet.next_due else None
            ),
            chart=sheet.chart(),
            # Data queries on the flowsheet's entries: their count and their fields' markers.
            query_markers=markers_for(records=entries),
            can_raise_query=self.locked_casebook is None
            and user.has_perm("queries.add_query", self.session),
            # Source-data verification of the session and its entries; the monitor's button.
            sdv=sdv_page(user=user, about=self.session, records=[self.session, *entries]),
            can_verify=self.locked_casebook is None and user.has_perm(VERIFY, self.session),
            flagged=sheet.flagged,
            thresholds=sheet.settings,
            supplemental_hint=(
                f"Allowed {selectors.elapsed_label(sheet.settings.supplemental_earliest_minutes)} "
                f"to {selectors.elapsed_label(sheet.settings.supplemental_latest_minutes)} after "
                "the initial dose; outside that window, explain the deviation."
            ),
            end_hint=(
                "C-SSRS, readiness for the overnight stay and the end time."
                if sheet.initial
                else "If no dose is given today, say why and end the session here."
            ),
        )
        return context

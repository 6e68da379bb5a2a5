"""The dosing-session flowsheet: one page, used through an eight-hour session.

Every step posts to the page with its `action`; a refused step re-renders the page with the
step's form bound, its errors beside the fields and everything typed still there.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from accounts.middleware import SiteTimeZoneMixin
from audit.forms import add_service_error, rebind_after_conflict
from audit.services import ConcurrentEditError
from participants.selectors import can_see_identity
from sessions_app import selectors
from sessions_app.forms.flowsheet import (
    FLOWSHEET_FORMS,
    AttestForm,
    EndForm,
    StartForm,
    SupplementalForm,
)
from sessions_app.models import DosingSession
from sessions_app.services import flowsheet as services
from signatures.selectors import signature_rows

CHANGE = "sessions_app.change_dosingsession"
SIGN = "sessions_app.sign_dosingsession"


class SessionMixin(SiteTimeZoneMixin, LoginRequiredMixin):
    """Loads the session named in the URL within the user's scope (404 outside it); dates and
    times are the site's."""

    permission = selectors.VIEW_SESSION
    denied_message = "Your role does not include dosing sessions."

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.session = selectors.session_get(user=request.user, pk=kwargs["pk"])
        if not request.user.has_perm(self.permission, self.session):
            raise PermissionDenied(self.denied_message)
        return super().dispatch(request, *args, **kwargs)

    def time_zone_site(self):
        return self.session.site

    def session_context(self) -> dict:
        user = self.request.user
        session = self.session
        participant = session.visit.participant
        return {
            "session": session,
            "visit": session.visit,
            "participant": participant,
            "can_see_identity": can_see_identity(user=user, participant=participant),
            "can_edit": user.has_perm(CHANGE, session),
            "can_sign": user.has_perm(SIGN, session),
            "signature_rows": signature_rows(record=session),
        }


class FlowsheetView(SessionMixin, TemplateView):
    template_name = "sessions_app/flowsheet.html"

    def build_form(self, action: str, data=None):
        session = self.session
        kwargs = {"session": session, "data": data}
        if action == "start":
            kwargs["team"] = services.session_team_candidates(session=session)
            kwargs["user"] = self.request.user
            return StartForm(**kwargs)
        if action.startswith("attest-"):
            return AttestForm(role=action.removeprefix("attest-"), **kwargs)
        if action == "supplemental":
            return SupplementalForm(initial_dose=self.sheet.initial, **kwargs)
        if action == "end":
            return EndForm(dosed=self.sheet.initial is not None, **kwargs)
        return FLOWSHEET_FORMS[action](**kwargs)

    def forms_for_state(self, bound) -> dict:
        """The steps open in the session's current state; the refused one stays bound."""
        session = self.session
        status = session.status
        Status = DosingSession.Status
        actions = []
        if status == Status.NOT_STARTED:
            actions = [] if session.start_closed_reason else ["start"]
        else:
            if session.lead_attested_at is None:
                actions.append("attest-lead")
            if session.co_attested_at is None:
                actions.append("attest-co")
            actions += ["reading", "observation"]
            if self.sheet.initial is None or session.status == Status.ENDED:
                actions.append("predose")
            if self.sheet.initial is None and status == Status.IN_PROGRESS:
                actions.append("dose")
            if (
                self.sheet.initial is not None
                and not session.supplemental_decision
                and status == Status.IN_PROGRESS
            ):
                actions.append("supplemental")
            if self.sheet.initial is None or session.supplemental_decision:
                actions.append("end")
        forms = {}
        for action in actions:
            if bound is not None and bound.prefix == action:
                forms[action] = bound
            else:
                forms[action] = self.build_form(action)
        return forms

    def get_context_data(self, bound_form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        self.sheet = getattr(self, "sheet", None) or selectors.flowsheet_for(session=self.session)
        context.update(self.session_context())
        sheet = self.sheet
        now = timezone.now()
        forms = self.forms_for_state(bound_form) if context["can_edit"] else {}
        context.update(
            sheet=sheet,
            now=now,
            forms=forms,
            bound_action=bound_form.prefix if bound_form is not None else "",
            unshown_errors=self.unshown_errors(bound_form, forms),
            due_minutes=(
                int((sheet.next_due - now).total_seconds() // 60) if sheet.next_due else None
            ),
            chart=sheet.chart(),
            flagged=sum(1 for r in sheet.readings if r.flags),
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

    @staticmethod
    def unshown_errors(bound_form, forms: dict) -> list[str]:
        """The refusal of a step the session's state no longer shows (someone else took it
        meanwhile): said above the page, since it has no step to be said in."""
        if bound_form is None or bound_form.prefix in forms:
            return []
        return [message for messages_ in bound_form.errors.values() for message in messages_]

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm(CHANGE, self.session):
            raise PermissionDenied("Your role does not include logging dosing sessions.")
        action = request.POST.get("action", "")
        if action not in FLOWSHEET_FORMS and action not in ("attest-lead", "attest-co"):
            return HttpResponseBadRequest("Unknown flowsheet step.")
        self.sheet = selectors.flowsheet_for(session=self.session)
        form = self.build_form(action, data=request.POST)
        if form.is_valid():
            try:
                message = self.perform(action, form)
            except ConcurrentEditError as error:
                self.session = selectors.session_get(user=request.user, pk=self.session.pk)
                self.sheet = selectors.flowsheet_for(session=self.session)
                form = rebind_after_conflict(
                    lambda data: self.build_form(action, data=data),
                    data=request.POST,
                    version=self.session.version,
                    error=error,
                    version_field=f"{form.prefix}-version",
                )
            except (ValidationError, services.FlowsheetError) as error:
                add_service_error(form, error)
            else:
                messages.success(request, message)
                anchor = "team" if action.startswith("attest") else action
                return redirect(
                    reverse("sessions_app:flowsheet", args=[self.session.pk]) + f"#{anchor}"
                )
        return self.render_to_response(self.get_context_data(bound_form=form))

    def perform(self, action: str, form) -> str:
        user = self.request.user
        session = self.session
        data = form.cleaned_data
        reason = data.get("reason", "")
        if action == "start":
            services.dosing_session_start(
                actor=user,
                session=session,
                started_at=data["started_at"],
                lead_therapist=data["lead_therapist"],
                co_therapist=data["co_therapist"],
                deviation_explanation=data["deviation_explanation"],
                expected_version=data["version"],
            )
            return "Session started. Each therapist of the team now attests presence."
        if action.startswith("attest-"):
            services.presence_attest(
                actor=user,
                session=session,
                role=action.removeprefix("attest-"),
                password=data["password"],
                request=self.request,
            )
            return "Presence attested."
        if action == "predose":
            services.predose_checks_record(
                actor=user,
                session=session,
                pregnancy_test=data["pregnancy_test"],
                cssrs_pre_ideation=data["cssrs_pre_ideation"],
                cssrs_pre_behaviour=data["cssrs_pre_behaviour"],
                expected_version=data["version"],
                reason=reason,
            )
            return "Pre-dose checks saved."
        if action == "dose":
            dose = services.dose_initial_administer(
                actor=user,
                session=session,
                dose_mg=data["dose_mg"],
                kit_number=data["kit_number"],
                administered_at=data["administered_at"],
            )
            return f"Initial dose recorded (kit {dose.kit_number})."
        if action == "reading":
            reading = services.vital_sign_record(
                actor=user, session=session, reason=reason, **form.values()
            )
            if reading.flags:
                return (
                    "Reading recorded. Over the threshold: "
                    + ", ".join(reading.flags)
                    + ". The medical monitors are being alerted; the next reading is due sooner."
                )
            return "Reading recorded."
        if action == "supplemental":
            services.supplemental_decide(
                actor=user,
                session=session,
                decision=data["decision"],
                reason=data["decision_reason"],
                dose_mg=data["dose_mg"],
                kit_number=data["kit_number"],
                administered_at=data["administered_at"],
                deviation_reason=data["deviation_reason"],
            )
            return "Supplemental-dose decision recorded."
        if action == "observation":
            services.observation_record(
                actor=user,
                session=session,
                observed_at=data["observed_at"],
                kind=data["kind"],
                text=data["text"],
                reason=reason,
            )
            return "Added to the session record."
        if action == "end":
            late = session.status == DosingSession.Status.ENDED
            services.dosing_session_end(
                actor=user,
                session=session,
                ended_at=data["ended_at"],
                cssrs_post_ideation=data["cssrs_post_ideation"],
                cssrs_post_behaviour=data["cssrs_post_behaviour"],
                overnight_ready=data["overnight_ready"],
                overnight_note=data["overnight_note"],
                expected_version=data["version"],
                reason=reason,
                not_dosed_reason=data.get("not_dosed_reason", ""),
            )
            if late:
                return "End-of-session details corrected."
            return "Session ended. The site investigator can now sign it."
        raise ValueError(action)  # pragma: no cover - the caller checked the action

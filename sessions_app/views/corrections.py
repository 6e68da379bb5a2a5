"""Pages correcting a session's flowsheet: the start and team, a dose, and the supplemental
decision (its entries, a reading or an observation: views/entries.py).

Each loads the session within the user's site scope (404 outside it), needs the right to change
it (403 otherwise), and works as the reading correction does: a refused value is shown beside its
field with everything typed kept; a form opened before someone else's save is refused and shown
again with the current version, so saving again is a deliberate choice.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import FormView

from records.forms import form_values
from records.views import ReturnToMixin, ServiceFormMixin, SiteTimeZoneMixin
from sessions_app import selectors
from sessions_app.forms.corrections import (
    DoseCorrectionForm,
    StartCorrectionForm,
    SupplementalDecisionCorrectionForm,
)
from sessions_app.models import DoseAdministration, DosingSession, StudySessionSettings
from sessions_app.services import flowsheet
from sessions_app.services.flowsheet import FlowsheetError
from sessions_app.services.flowsheet.common import NOTHING_TO_CORRECT
from sessions_app.services.flowsheet.dose_corrections import NO_DECISION, VOIDED_DOSE
from sessions_app.views.flowsheet import CHANGE


class FlowsheetServiceFormMixin(ServiceFormMixin):
    """ServiceFormMixin for the session's services, whose refusals of a step the session's state
    does not allow (FlowsheetError) are shown above the form too."""

    refusals = (ValidationError, FlowsheetError)


# --- The start and team, a dose, the supplemental decision ------------------------------------


class CorrectionView(
    ReturnToMixin, SiteTimeZoneMixin, FlowsheetServiceFormMixin, LoginRequiredMixin, FormView
):
    """A correction of one part of a started session's flowsheet; saved, it returns to the
    flowsheet, or to `?next=`."""

    template_name = "sessions_app/correct_form.html"
    title = ""
    anchor = ""
    success_message = "Corrected. The audit trail keeps both values and your reason."

    def load(self) -> DosingSession:
        return selectors.session_get(user=self.request.user, pk=self.kwargs["pk"])

    def corrected(self):
        """The versioned record the form corrects (and whose version it carries)."""
        return self.session

    def refused(self) -> str:
        """Why this correction cannot be opened in the session's state ("" if it can)."""
        if self.session.status == DosingSession.Status.NOT_STARTED:
            return NOTHING_TO_CORRECT
        return ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.session = self.load()
        self.record = self.corrected()
        if not request.user.has_perm(CHANGE, self.session):
            raise PermissionDenied("Your role does not include correcting dosing sessions.")
        refusal = self.refused()
        if refusal:
            messages.warning(request, refusal)
            return redirect(self.flowsheet_url())
        return super().dispatch(request, *args, **kwargs)

    def time_zone_site(self):
        return self.session.site

    def reload(self):
        self.session = self.load()
        return self.corrected()

    def flowsheet_url(self) -> str:
        return reverse("sessions_app:flowsheet", args=[self.session.pk]) + self.anchor

    def perform(self, form) -> None:
        raise NotImplementedError

    def hint(self) -> str:
        return ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            session=self.session,
            visit=self.session.visit,
            participant=self.session.participant,
            title=self.title,
            hint=self.hint(),
            back_url=self.flowsheet_url(),
        )
        return context

    def save(self, form):
        self.perform(form)
        messages.success(self.request, self.success_message)
        return self.saved(self.flowsheet_url())


START_ARGUMENTS = (
    "started_at",
    "lead_therapist",
    "co_therapist",
    "lead_password",
    "co_password",
    "deviation_explanation",
    "version",
    "reason",
)
DOSE_ARGUMENTS = (
    "dose_mg",
    "kit_number",
    "administered_at",
    "deviation_reason",
    "version",
    "reason",
)


class StartCorrectView(CorrectionView):
    title = "Correct the start and the team"
    anchor = "#team"
    success_message = "Start and team corrected. The audit trail keeps both values and your reason."

    def hint(self) -> str:
        visit = self.session.visit
        return (
            f"The visit is recorded as held on the day the session started. Its window is "
            f"{visit.window_start:%d %b} to {visit.window_end:%d %b %Y}; a day outside it is a "
            "protocol deviation and needs an explanation. Moving the day re-schedules the visits "
            "that follow."
        )

    def form_for(self, record, **kwargs):
        return StartCorrectionForm(
            instance=record,  # the form's checks must not alter the page's
            team=flowsheet.start_team_choices(session=record),
            **kwargs,
        )

    def perform(self, form) -> None:
        flowsheet.session_start_correct(
            actor=self.request.user,
            session=self.session,
            **form_values(form, START_ARGUMENTS),
            request=self.request,
        )


class DoseCorrectView(CorrectionView):
    anchor = "#doses"
    success_message = "Dose corrected. The audit trail keeps both values and your reason."

    def load(self) -> DosingSession:
        self.administration = selectors.administration_get(
            user=self.request.user, pk=self.kwargs["pk"]
        )
        return self.administration.session

    def corrected(self):
        return self.administration

    def refused(self) -> str:
        if self.administration.voided_at is not None:
            return VOIDED_DOSE
        return super().refused()

    @property
    def title(self) -> str:
        return f"Correct the {self.administration.get_kind_display().lower()}"

    def form_for(self, record, **kwargs):
        supplemental = None
        if record.kind == DoseAdministration.Kind.INITIAL:
            supplemental = DoseAdministration.live(
                self.session, DoseAdministration.Kind.SUPPLEMENTAL
            )
        return DoseCorrectionForm(
            instance=record,
            supplemental=supplemental,
            settings_=(
                StudySessionSettings.for_study(self.session.site.study) if supplemental else None
            ),
            **kwargs,
        )

    def perform(self, form) -> None:
        flowsheet.dose_administration_correct(
            actor=self.request.user,
            administration=self.administration,
            supplemental_dose_mg=form.cleaned_data.get("supplemental_dose_mg"),
            **form_values(form, DOSE_ARGUMENTS),
        )


class SupplementalCorrectView(CorrectionView):
    title = "Correct the supplemental-dose decision"
    anchor = "#doses"
    success_message = (
        "Supplemental decision corrected. The audit trail keeps both values and your reason."
    )

    def refused(self) -> str:
        if not self.session.supplemental_decision:
            return NO_DECISION
        return super().refused()

    def form_for(self, record, **kwargs):
        initial_dose = DoseAdministration.live(record, DoseAdministration.Kind.INITIAL)
        return SupplementalDecisionCorrectionForm(
            instance=record, initial_dose=initial_dose, **kwargs
        )

    def perform(self, form) -> None:
        data = form.cleaned_data
        flowsheet.supplemental_decision_correct(
            actor=self.request.user,
            session=self.session,
            decision=data["supplemental_decision"],
            decision_reason=data["supplemental_reason"],
            dose_mg=data.get("dose_mg"),
            kit_number=data.get("kit_number", ""),
            administered_at=data.get("administered_at"),
            deviation_reason=data.get("deviation_reason", ""),
            expected_version=data["version"],
            reason=data["reason"],
        )

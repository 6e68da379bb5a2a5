"""Pages changing one entry of a session's flowsheet (a reading, an observation): its
correction, and striking it through as entered in error.

Each loads the entry within the user's site scope (404 outside it), needs the right to change it
(403 otherwise), and is not opened for an entry already struck through. A refused value is shown
beside its field with everything typed kept; a form opened before someone else's save is refused
and shown again with the current version.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import FormView

from records.views import ReturnToMixin, SiteTimeZoneMixin
from sessions_app import selectors
from sessions_app.forms.readings import (
    ObservationEditForm,
    ReadingEditForm,
    strike_through_form,
)
from sessions_app.services import flowsheet
from sessions_app.services.flowsheet import observation_correct, vital_sign_correct
from sessions_app.services.flowsheet.readings import STRUCK_ENTRY
from sessions_app.views.corrections import FlowsheetServiceFormMixin
from sessions_app.views.flowsheet import CHANGE


class EntryView(
    ReturnToMixin, SiteTimeZoneMixin, FlowsheetServiceFormMixin, LoginRequiredMixin, FormView
):
    """A page changing one entry of a session, with a reason; refused if someone else changed it
    first, and not opened for an entry struck through as entered in error. Saved, it returns to
    the flowsheet, or to `?next=`.

    The entry's kind (`ReadingEntry`, `ObservationEntry`) names how to load it within the user's
    sites, who may change it and how it is corrected; the page (`EntryCorrectView`,
    `EntryStrikeView`) names the change.
    """

    context_name = ""
    anchor = ""
    denied_message = ""
    success_message = ""

    def load(self, pk):
        raise NotImplementedError

    def may_correct(self, entry) -> bool:
        raise NotImplementedError

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.entry = self.record = self.load(kwargs["pk"])
        if not self.may_correct(self.entry):
            raise PermissionDenied(self.denied_message)
        if self.entry.is_voided:
            messages.warning(request, STRUCK_ENTRY)
            return redirect(self.flowsheet_url())
        return super().dispatch(request, *args, **kwargs)

    def time_zone_site(self):
        return self.entry.session.site

    def flowsheet_url(self) -> str:
        return reverse("sessions_app:flowsheet", args=[self.entry.session_id]) + self.anchor

    def reload(self):
        """The entry as now stored, which the page shows from here on."""
        self.entry = self.load(self.entry.pk)
        return self.entry

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        session = self.entry.session
        context.update(
            {
                self.context_name: self.entry,
                "entry": self.entry,
                "session": session,
                "participant": session.participant,
                "back_url": self.flowsheet_url(),
            }
        )
        return context

    def change(self, form) -> None:
        raise NotImplementedError

    def save(self, form):
        self.change(form)
        messages.success(self.request, self.success_message)
        return self.saved(self.flowsheet_url())


class EntryCorrectView(EntryView):
    form_class = None

    def form_for(self, record, **kwargs):
        return self.form_class(**kwargs, instance=record)

    def correct(self, entry, **kwargs) -> None:
        raise NotImplementedError

    def change(self, form) -> None:
        self.correct(
            self.entry,
            values={name: form.cleaned_data[name] for name in self.form_class.Meta.fields},
            expected_version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
        )


class EntryStrikeView(EntryView):
    """Strike the entry through as entered in error: kept, struck through, no longer counted."""

    template_name = "sessions_app/strike_form.html"
    success_message = (
        "Struck through as entered in error. It stays on the flowsheet and in the audit trail, "
        "and no longer counts."
    )

    def form_for(self, record, **kwargs):
        return strike_through_form(record, **kwargs)

    def change(self, form) -> None:
        flowsheet.entry_strike_through(
            actor=self.request.user,
            entry=self.entry,
            expected_version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
        )


class ReadingEntry:
    context_name = "reading"
    anchor = "#readings"
    denied_message = "Your role does not include correcting readings."

    def load(self, pk):
        return selectors.reading_get(user=self.request.user, pk=pk)

    def may_correct(self, entry) -> bool:
        return self.request.user.has_perm("sessions_app.change_vitalsignreading", entry)


class ObservationEntry:
    context_name = "observation"
    anchor = "#observations"
    denied_message = "Your role does not include correcting session entries."

    def load(self, pk):
        return selectors.observation_get(user=self.request.user, pk=pk)

    def may_correct(self, entry) -> bool:
        return self.request.user.has_perm(CHANGE, entry.session)


class ReadingEditView(ReadingEntry, EntryCorrectView):
    template_name = "sessions_app/reading_form.html"
    form_class = ReadingEditForm
    success_message = "Reading corrected. The audit trail keeps both values."

    def correct(self, entry, **kwargs) -> None:
        vital_sign_correct(actor=self.request.user, reading=entry, **kwargs)


class ObservationEditView(ObservationEntry, EntryCorrectView):
    """Correct an observation or intervention, as a reading is corrected."""

    template_name = "sessions_app/observation_form.html"
    form_class = ObservationEditForm
    success_message = "Entry corrected. The audit trail keeps both versions."

    def correct(self, entry, **kwargs) -> None:
        observation_correct(actor=self.request.user, observation=entry, **kwargs)


class ReadingStrikeView(ReadingEntry, EntryStrikeView):
    pass


class ObservationStrikeView(ObservationEntry, EntryStrikeView):
    pass

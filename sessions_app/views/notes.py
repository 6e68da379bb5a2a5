"""Integration notes: confidential to the participant's site staff, every view access-logged.

Every URL here finds the visit through `visit_get(perm=VIEW_NOTE)`, so a user without the note
permission at the participant's site (another site's staff, a medical monitor, a data manager)
gets 404 for every note, whether or not it exists: the answer reveals nothing.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import FormView, TemplateView

from audit.services import access_log
from participants.selectors import can_see_identity, casebook_of
from records.views import RecordHistoryView, ReturnToMixin, ScopedRecordMixin, ServiceFormMixin
from sessions_app.forms.notes import IntegrationNoteForm
from sessions_app.models import IntegrationNote, Visit
from sessions_app.selectors import VIEW_NOTE, visit_get
from sessions_app.services.notes import (
    ADD_NOTE,
    CHANGE_NOTE,
    WRITE_REFUSED,
    integration_note_view,
    integration_note_write,
)

NO_NOTES = "No notes for this session."


def _note_visit(*, user, pk) -> Visit:
    """The integration visit of the URL, in the user's note scope (404 otherwise)."""
    visit = visit_get(user=user, pk=pk, perm=VIEW_NOTE)
    if visit.kind != Visit.Kind.INTEGRATION:
        raise Http404("No such integration session.")
    return visit


def _note_of(visit: Visit) -> IntegrationNote | None:
    return (
        IntegrationNote.objects.select_related("author", "visit__dosing_visit__dosing_session")
        .filter(visit=visit)
        .first()
    )


class NoteMixin(ScopedRecordMixin):
    """The integration visit of the URL and its note; dates and times are the site's."""

    record_name = "visit"

    def load_record(self):
        return _note_visit(user=self.request.user, pk=self.kwargs["visit_pk"])

    def record_loaded(self) -> None:
        self.note = _note_of(self.visit)

    def record_site(self):
        return self.visit.participant.site

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, visit = self.request.user, self.visit
        participant = visit.participant
        dosing_visit = visit.dosing_visit
        casebook = casebook_of(participant)
        context.update(
            casebook=casebook,
            visit=visit,
            note=self.note,
            participant=participant,
            can_see_identity=can_see_identity(user=user, participant=participant),
            dosing_visit=dosing_visit,
            dosing_session=getattr(dosing_visit, "dosing_session", None),
            can_edit=not casebook.is_locked
            and user.has_perm(CHANGE_NOTE if self.note else ADD_NOTE, visit),
            # New notes wait for their dosing session (the service refuses them before it).
            notes_closed_reason="" if self.note else visit.notes_closed_reason,
        )
        return context


class NoteView(NoteMixin, TemplateView):
    template_name = "sessions_app/note_detail.html"

    def get(self, request, *args, **kwargs):
        if self.note is None:
            if request.user.has_perm(ADD_NOTE, self.visit):
                return redirect("sessions_app:note_edit", visit_pk=self.visit.pk)
            raise Http404(NO_NOTES)
        integration_note_view(actor=request.user, note=self.note)
        return super().get(request, *args, **kwargs)


class NoteEditView(ReturnToMixin, ServiceFormMixin, NoteMixin, FormView):
    """Write or edit the notes; saved, back to the notes, or to `?next=`."""

    template_name = "sessions_app/note_form.html"
    denied_message = WRITE_REFUSED

    @property
    def permission(self) -> str:
        return CHANGE_NOTE if self.note else ADD_NOTE

    def record_loaded(self) -> None:
        super().record_loaded()
        self.record = self.note or IntegrationNote(visit=self.visit, author=self.request.user)

    def get(self, request, *args, **kwargs):
        if self.note is not None:
            integration_note_view(actor=request.user, note=self.note)
        return super().get(request, *args, **kwargs)

    def form_for(self, record, **kwargs):
        return IntegrationNoteForm(visit=self.visit, instance=record, **kwargs)

    def reload(self):
        """Someone else saved first: the page shows what is now saved (a view of the note)."""
        self.note = _note_of(self.visit)
        if self.note is None:
            return IntegrationNote(visit=self.visit, author=self.request.user)
        integration_note_view(actor=self.request.user, note=self.note)
        return self.note

    def save(self, form):
        integration_note_write(
            actor=self.request.user,
            visit=self.visit,
            data=form.note_data(),
            held_on=form.cleaned_data["held_on"],
            deviation_explanation=form.cleaned_data["deviation_explanation"],
            expected_version=form.cleaned_data.get("version"),
            reason=form.cleaned_data.get("reason", ""),
        )
        messages.success(
            self.request,
            "Notes saved. The change is in the audit trail." if self.note else "Notes saved.",
        )
        return self.saved(reverse("sessions_app:note", args=[self.visit.pk]))


class NoteHistoryView(RecordHistoryView):
    """The note's audit trail. It shows the note's text, so it needs the note permission too."""

    shows_confidential = True

    def get_records(self):
        visit = _note_visit(user=self.request.user, pk=self.kwargs["visit_pk"])
        note = _note_of(visit)
        if note is None:
            raise Http404(NO_NOTES)
        self.visit = visit
        return [note, visit]

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        # The history shows the note's text: reading it is a view of the note.
        access_log(actor=request.user, instance=self.records[0], what="integration note history")
        return response

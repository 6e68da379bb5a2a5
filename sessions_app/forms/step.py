"""What every step of the flowsheet shares. Each has a prefix (its action), so several live on
one page.
"""

from crispy_forms.layout import Field, Layout
from django import forms
from django.utils import timezone

from records.forms import ServerValidatedHelper, local_input, now_local, text_field
from records.layout import Hidden, Submit
from records.templatetags.form_fields import FIELD_TEMPLATE
from sessions_app.models import DosingSession
from sessions_app.services.flowsheet.common import BEFORE_START_TOLERANCE

LATE_REASON_HELP = (
    "The session has ended: say why this is added or changed (kept in the audit trail)."
)


class FlowsheetForm(forms.Form):
    """A flowsheet step: posts `action` and, once the session has ended, asks for a reason.

    A refused step says so once, at its top (`sessions_app/_step_form.html`): "Not saved", the
    messages that concern no single field, and what became of the input (`kept_note`).
    """

    action = ""
    submit_label = "Save"
    fields_layout: tuple = ()
    kept_note = "Everything you typed is still there."

    reason = text_field(
        "Reason",
        max_length=500,
        help_text=LATE_REASON_HELP,
    )

    def __init__(self, *args, session: DosingSession, **kwargs):
        kwargs.setdefault("prefix", self.action)
        super().__init__(*args, **kwargs)
        self.session = session
        self.late = session.status == DosingSession.Status.ENDED
        if not self.late:
            del self.fields["reason"]
        else:
            self.fields["reason"].required = True
            self.fields["reason"].error_messages["required"] = session.late_change_message
        self.helper = ServerValidatedHelper(self, testid=f"form-{self.action}")
        self.helper.template = "sessions_app/_step_form.html"
        # The page shows every step's form on every view: its fields written in Python.
        self.helper.field_template = FIELD_TEMPLATE
        self.helper.form_action = f"#{self.action}"
        self.helper.layout = Layout(
            Hidden("action", self.action),
            *self.fields_layout,
            *(["reason"] if self.late else []),
            self.submit_button(),
        )

    def submit_button(self) -> Submit:
        """The step's button, with an id of its own among the page's several forms."""
        return Submit("save", self.submit_label, css_id=f"submit-{self.prefix}")

    def default_time(self, name: str) -> None:
        """Now while the session runs. Once it has ended, now would be refused: the field starts
        empty, says when the session ran and offers only that span in the picker."""
        if not self.late:
            if not self.is_bound:
                self.initial[name] = now_local()
            return
        started, ended = self.session.started_at, self.session.ended_at
        field = self.fields[name]
        field.widget.attrs.update(
            min=local_input(started - BEFORE_START_TOLERANCE), max=local_input(ended)
        )
        start, end = timezone.localtime(started), timezone.localtime(ended)
        until = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%d %b %Y %H:%M}"
        field.help_text = (
            f"The session ran from {start:%d %b %Y %H:%M} to {until}: enter when it happened."
        )


class VersionedFlowsheetForm(FlowsheetForm):
    """A step that changes the session record itself: the version the user opened travels along."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.session.version
        self.helper.layout.insert(1, Field("version"))

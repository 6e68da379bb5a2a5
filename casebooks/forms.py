"""The casebook page's steps (sign, lock, unlock), each with its prefix (its action), and the
list's filters."""

import django_filters
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Hidden, Layout, Submit
from django import forms

from casebooks import services
from casebooks.selectors import VIEW
from participants.models import Casebook, Participant
from records.forms import KEPT_NOTE, RETYPE_NOTE, site_filter, text_field
from signatures.forms import SignatureForm


class CasebookStepMixin:
    """A step of the casebook page: posts its `action`; what was typed is kept when refused."""

    action = ""
    submit_label = "Save"
    fields_layout: tuple = ()
    kept_note = KEPT_NOTE

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", self.action)
        super().__init__(*args, **kwargs)
        self.helper = self.step_helper()

    def step_helper(self) -> FormHelper:
        helper = FormHelper(self)
        helper.template = "sessions_app/_step_form.html"
        helper.form_action = f"#{self.action}"
        helper.attrs = {"novalidate": "", "data-testid": f"form-{self.action}"}
        helper.layout = Layout(
            Hidden("action", self.action),
            *self.fields_layout,
            Submit("save", self.submit_label, css_id=f"submit-{self.action}"),
        )
        return helper


class SignForm(CasebookStepMixin, SignatureForm):
    action = "sign"
    submit_label = "Sign the casebook"
    fields_layout = ("password",)
    kept_note = RETYPE_NOTE


class LockForm(CasebookStepMixin, forms.Form):
    action = "lock"
    submit_label = "Lock the casebook"
    fields_layout = ("confirmed",)
    kept_note = "The casebook was not locked."

    confirmed = forms.BooleanField(
        label="I confirm: no change to this participant's records is saved until it is unlocked",
        error_messages={"required": "Tick the confirmation to lock the casebook."},
    )


class UnlockForm(CasebookStepMixin, forms.Form):
    action = "unlock"
    submit_label = "Unlock the casebook"
    fields_layout = ("reason",)
    kept_note = "The casebook is still locked. What you typed is kept below."

    reason = text_field(
        "Reason for unlocking",
        required=True,
        max_length=500,
        help_text="Kept with the audit trail entry of the unlock.",
        error_messages={"required": services.UNLOCK_REASON},
    )


class CasebookFilter(django_filters.FilterSet):
    site = site_filter(VIEW, label="Site")
    state = django_filters.ChoiceFilter(
        field_name="casebook_state",
        choices=Casebook.State.choices,
        empty_label="Any state",
        label="Casebook",
    )

    class Meta:
        model = Participant
        fields = ["site", "state"]

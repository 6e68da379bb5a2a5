from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout, Submit
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.urls import reverse

from accounts.services import UNLOCK_REASON_REQUIRED


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": (
            "That username and password do not match. Check both and try again; "
            "after several failed attempts the account is locked for a while."
        ),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper(self)
        self.helper.layout = Layout(
            Field("username", autofocus=True),
            Field("password"),
            Submit("login", "Log in", css_class="w-100"),
        )


class UnlockForm(forms.Form):
    """Why a locked-out account is unlocked: kept with the audit trail's entry."""

    reason = forms.CharField(
        label="Reason for unlocking",
        max_length=500,
        error_messages={"required": UNLOCK_REASON_REQUIRED},
        help_text="Kept in the audit trail, with your name and the time.",
    )

    def __init__(self, *args, account, **kwargs):
        # Ids of their own: the page holds one form per locked-out account.
        kwargs.setdefault("auto_id", f"id_unlock_{account.pk}_%s")
        super().__init__(*args, **kwargs)
        self.account = account
        self.helper = FormHelper(self)
        self.helper.form_action = reverse("unlock", args=[account.pk])
        self.helper.attrs = {"novalidate": ""}
        self.helper.layout = Layout(
            Field("reason"), Submit("unlock", f"Unlock {account.get_username()}")
        )

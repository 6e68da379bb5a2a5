"""The signing form: the signer types their password again; a wrong one is refused beside it.

The password is checked once, by the signing service (so a wrong one counts once toward the
lockout); the view puts the service's refusal beside the field.
"""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout, Submit
from django import forms


class SignatureForm(forms.Form):
    """Shows printed name and meaning through the template (`signatures/_sign_form.html`)."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Signing needs your password again, as for a handwritten signature.",
    )

    def __init__(self, *args, signer, submit_label: str = "Sign", **kwargs):
        super().__init__(*args, **kwargs)
        self.signer = signer
        self.helper = FormHelper(self)
        self.helper.layout = Layout(Field("password"), Submit("sign", submit_label))

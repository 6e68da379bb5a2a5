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

    acknowledged = forms.BooleanField(required=True)

    def __init__(
        self,
        *args,
        signer,
        submit_label: str = "Sign",
        acknowledgement: str = "",
        acknowledgement_required: str = "",
        **kwargs,
    ):
        """With `acknowledgement`, the signer ticks it to sign (else `acknowledgement_required` is
        said beside it); the signing service records it as part of what the signature attests."""
        super().__init__(*args, **kwargs)
        self.signer = signer
        if acknowledgement:
            field = self.fields["acknowledged"]
            field.label = acknowledgement
            field.error_messages["required"] = acknowledgement_required
        else:
            del self.fields["acknowledged"]
        self.helper = FormHelper(self)
        self.helper.attrs = {"novalidate": ""}  # the server's messages, beside each field
        self.helper.layout = Layout(
            *([Field("acknowledged")] if acknowledgement else []),
            Field("password"),
            Submit("sign", submit_label),
        )

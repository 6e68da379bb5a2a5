"""Form pieces shared by every edit of a clinical record: the version read and the reason."""

from django import forms


class AuditedEditForm(forms.ModelForm):
    """A ModelForm for a versioned record that asks why it is being changed.

    The hidden `version` carries the version the user opened, so a save that comes after someone
    else's is refused instead of overwriting it. Set `require_reason = False` where a reason is
    optional (for example while a record is still a draft).
    """

    require_reason = True

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(
        label="Reason for change",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept with the audit trail entry for this change.",
        error_messages={"required": "Say why this record is being changed."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version
        self.fields["reason"].required = self.require_reason

    def clean_reason(self) -> str:
        reason = self.cleaned_data.get("reason", "").strip()
        if self.require_reason and not reason:
            raise forms.ValidationError("Say why this record is being changed.")
        return reason

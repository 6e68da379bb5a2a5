import datetime

import django_filters
from crispy_forms.layout import Column, Field, Fieldset, Layout, Row, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from participants.models import IDENTITY_FIELDS, Participant, ParticipantIdentity
from participants.validators import validate_date_of_birth, validate_withdrawal_details
from records.forms import AuditedEditForm, DayField, ServerValidatedHelper, site_filter, text_field

IDENTITY_REASON_HELP = (
    "Say why, without the identity itself (no names, dates of birth or contacts): the reason is "
    'kept in the audit trail. For example: "Spelling corrected from the passport."'
)


class IdentityForm(AuditedEditForm):
    class Meta:
        model = ParticipantIdentity
        fields = IDENTITY_FIELDS
        widgets = {"date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = IDENTITY_REASON_HELP
        self.helper = ServerValidatedHelper(self)
        self.helper.attrs["data-drafts"] = "off"  # identity is never kept in the browser
        self.helper.layout = Layout(
            "version",
            Fieldset(
                "Person",
                Row(Column("given_name"), Column("family_name")),
                Row(Column("date_of_birth"), Column("sex")),
            ),
            Fieldset(
                "Contact",
                Row(Column("phone"), Column("email")),
                Field("address_line"),
                Row(Column("city"), Column("postal_code"), Column("country")),
                Row(Column("support_contact_name"), Column("support_contact_phone")),
            ),
            Field("reason"),
            Submit("save", "Save changes"),
        )

    def clean_date_of_birth(self) -> datetime.date:
        dob = self.cleaned_data["date_of_birth"]
        validate_date_of_birth(dob)
        return dob


class ParticipantFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="ID")
    site = site_filter("participants.view_participant")
    status = django_filters.ChoiceFilter(choices=Participant.Status.choices)

    class Meta:
        model = Participant
        fields = ["q", "site", "status"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(study_code__icontains=value) | Q(screening_number__icontains=value)
        )


class WithdrawalForm(forms.Form):
    """The end of a participant's participation: the day, and why."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    withdrawn_on = DayField(
        label="Withdrawn on",
        help_text="The last day of participation. Visits not held by then are no longer expected.",
    )
    category = forms.ChoiceField(
        label="Reason for withdrawal",
        choices=[("", "Choose…"), *Participant.WithdrawalCategory.choices],
    )
    details = text_field(
        "Details",
        rows=3,
        help_text="Required when the reason is Other. No names: use the participant ID.",
    )

    def __init__(self, *args, participant: Participant, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.update(version=participant.version, withdrawn_on=timezone.localdate())
        self.helper = ServerValidatedHelper(self)
        self.helper.layout = Layout(
            Field("version"),
            Row(Column("withdrawn_on"), Column("category")),
            Field("details"),
            Submit("withdraw", "Withdraw from the study", css_class="btn-danger"),
        )

    def clean(self):
        data = super().clean()
        if data.get("category"):
            try:
                validate_withdrawal_details(data["category"], data.get("details") or "")
            except ValidationError as error:
                self.add_error(None, error)
        return data

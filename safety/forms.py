import django_filters
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Fieldset, Layout, Row, Submit
from django import forms
from django.db.models import Q

from accounts.selectors import site_list
from records.forms import AuditedEditForm, LongTextField, ServerValidatedHelper, WhenField
from safety.models import AdverseEvent
from safety.selectors import VIEW_AE
from safety.services import ONSET_IN_FUTURE, TERM_REQUIRED

DRAFT_FIELDS = ["verbatim_term", "onset_at", "description"]


class DraftFieldsMixin:
    """The fields and checks shared by opening and editing a draft, beside their fields."""

    class Meta:
        model = AdverseEvent
        fields = DRAFT_FIELDS
        field_classes = {"onset_at": WhenField, "description": LongTextField}

    def _set_up_fields(self) -> None:
        self.fields["verbatim_term"].widget.attrs.setdefault("autofocus", "")
        self.fields["verbatim_term"].error_messages["required"] = TERM_REQUIRED
        self.fields["onset_at"].error_messages["required"] = "Enter when the event began."
        self.fields["onset_at"].help_text = "Date and time in the site's local time."
        self.fields["onset_at"].future_message = ONSET_IN_FUTURE
        self.fields["description"].widget.attrs["rows"] = 4

    def clean_verbatim_term(self) -> str:
        term = self.cleaned_data["verbatim_term"].strip()
        if not term:
            raise forms.ValidationError(TERM_REQUIRED)
        return term


class AdverseEventDraftForm(DraftFieldsMixin, forms.ModelForm):
    """Open a draft adverse event (prefilled when opened from a reading)."""

    class Meta(DraftFieldsMixin.Meta):
        pass

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_up_fields()
        self.helper = ServerValidatedHelper(self)
        self.helper.layout = Layout(
            Fieldset(
                "The event",
                Row(Column("verbatim_term", css_class="col-md-8"), Column("onset_at")),
                Field("description"),
            ),
            Submit("save", "Save draft"),
        )


class AdverseEventEditForm(DraftFieldsMixin, AuditedEditForm):
    """Edit a draft: no reason is needed while it is a draft (the change is still audited)."""

    require_reason = False

    class Meta(DraftFieldsMixin.Meta):
        pass

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_up_fields()
        self.fields["reason"].label = "Reason for change (optional while a draft)"
        self.helper = ServerValidatedHelper(self)
        self.helper.layout = Layout(
            "version",
            Fieldset(
                "The event",
                Row(Column("verbatim_term", css_class="col-md-8"), Column("onset_at")),
                Field("description"),
            ),
            Field("reason"),
            Submit("save", "Save changes"),
        )


class AdverseEventFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Participant ID")
    site = django_filters.ModelChoiceFilter(
        queryset=lambda request: site_list(request.user, VIEW_AE),
        field_name="participant__site",
    )

    class Meta:
        model = AdverseEvent
        fields = ["q", "site"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(participant__study_code__icontains=value)
            | Q(participant__screening_number__icontains=value)
        )


class ParticipantChoiceForm(forms.Form):
    """Which participant an adverse event is for, when it is not opened from their page."""

    participant = forms.ModelChoiceField(queryset=None, label="Participant ID")

    def __init__(self, *args, participants, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participant"].queryset = participants
        self.fields["participant"].label_from_instance = lambda p: f"{p.label} · {p.site}"
        self.helper = FormHelper(self)
        self.helper.form_method = "get"
        self.helper.layout = Layout(Field("participant"), Submit("choose", "Continue"))

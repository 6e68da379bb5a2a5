"""The export page's form: which datasets, sites, date handling, pseudonyms and format."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout, Submit
from django import forms

from accounts.models import Site, Study
from exports.datasets import REGISTRY
from exports.deidentify import DateMode
from exports.services import NO_DATASET, NO_FORMAT, ExportOptions

DATE_CHOICES = [
    (DateMode.SHIFT.value, "Shifted back by a random number of days per participant (1 to 364)"),
    (DateMode.STUDY_DAY.value, "Replaced by the study day"),
]

FORMAT_CHOICES = [
    ("csv", "CSV, one file per dataset"),
    ("sdtm", "CDISC SDTM (SDTMIG 3.4), SAS transport (XPT v5) files"),
]


class ExportForm(forms.Form):
    datasets = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": NO_DATASET},
    )
    sites = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="None chosen: every site of the study.",
    )
    dates = forms.ChoiceField(
        label="Dates", widget=forms.RadioSelect, choices=DATE_CHOICES, initial=DateMode.SHIFT
    )
    stable_pseudonyms = forms.BooleanField(
        label="Stable pseudonyms",
        required=False,
        help_text="The same participant pseudonyms in every export of this study (unticked: new "
        "pseudonyms for this export only).",
    )
    formats = forms.MultipleChoiceField(
        label="Formats",
        widget=forms.CheckboxSelectMultiple,
        choices=FORMAT_CHOICES,
        initial=["csv"],
        error_messages={"required": NO_FORMAT},
        help_text="SDTM: the domains DM, SV, EX, VS, AE and DS made from the datasets chosen "
        "(DM with any of them), as SAS transport v5 files in ASCII.",
    )

    def __init__(self, *args, study: Study, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["datasets"].choices = [(name, d.title) for name, d in REGISTRY.items()]
        self.fields["datasets"].initial = list(REGISTRY)
        self.fields["sites"].choices = [
            (site.number, f"{site.number} {site.name}")
            for site in Site.objects.filter(study=study).order_by("number")
        ]
        self.helper = FormHelper(self)
        self.helper.attrs = {"novalidate": "", "data-testid": "form-export"}
        self.helper.layout = Layout(
            Field("datasets"),
            Field("sites"),
            Field("dates"),
            Field("stable_pseudonyms"),
            Field("formats"),
            Submit("start", "Start the export", css_id="submit-export"),
        )

    def options(self) -> ExportOptions:
        data = self.cleaned_data
        return ExportOptions(
            datasets=tuple(data["datasets"]),
            formats=tuple(data["formats"]),
            sites=tuple(data["sites"]),
            dates=DateMode(data["dates"]),
            stable_pseudonyms=data["stable_pseudonyms"],
        )

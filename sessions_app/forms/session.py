"""The session's own steps: its start and team, the presence attestations, the pre-dose
checks and the end.
"""

from django import forms

from records.forms import (
    RETYPE_NOTE,
    SAFETY_ANSWER_HELP,
    WhenField,
    cssrs_ideation_field,
    local_input,
    now_local,
    text_field,
)
from records.layout import Div, Hidden
from sessions_app.forms.fields import yes_no_field
from sessions_app.forms.step import FlowsheetForm, VersionedFlowsheetForm
from sessions_app.models import DosingSession
from sessions_app.models.flowsheet import TWO_THERAPISTS

PREGNANCY_TEST_REQUIRED = (
    "Choose today's pregnancy test result (or not applicable): nothing is preselected, and a "
    "test left unanswered is never taken as negative."
)


class StartForm(VersionedFlowsheetForm):
    action = "start"
    submit_label = "Start the session"
    fields_layout = (
        "started_at",
        Div(
            Div("lead_therapist", css_class="col"),
            Div("co_therapist", css_class="col"),
            css_class="row",
        ),
        "deviation_explanation",
    )

    started_at = WhenField(label="Started at")
    lead_therapist = forms.ModelChoiceField(queryset=None, label="Lead therapist")
    co_therapist = forms.ModelChoiceField(queryset=None, label="Co-therapist")
    deviation_explanation = text_field("Explanation if outside the visit window", max_length=None)

    def __init__(self, *args, team, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("lead_therapist", "co_therapist"):
            self.fields[name].queryset = team
            self.fields[name].label_from_instance = lambda member: member.printed_name
        if not self.is_bound:
            self.initial["started_at"] = now_local()
            if user is not None and user in team:
                self.initial["lead_therapist"] = user.pk

    def clean(self):
        cleaned = super().clean()
        lead, co = cleaned.get("lead_therapist"), cleaned.get("co_therapist")
        if lead and co and lead == co:
            self.add_error("co_therapist", TWO_THERAPISTS)
        return cleaned


class AttestForm(FlowsheetForm):
    """A therapist of the team attests presence by typing their own password."""

    action = "attest"
    submit_label = "Attest presence"
    fields_layout = ("role", "password")

    role = forms.ChoiceField(
        choices=[("lead", "Lead therapist"), ("co", "Co-therapist")], widget=forms.HiddenInput
    )
    password = forms.CharField(
        label="Password of the therapist attesting",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )

    kept_note = RETYPE_NOTE

    def __init__(self, *args, role: str = "lead", **kwargs):
        kwargs.setdefault("prefix", f"attest-{role}")
        super().__init__(*args, **kwargs)
        self.helper.layout[0] = Hidden("action", f"attest-{role}")
        self.helper.form_action = "#team"
        if not self.is_bound:
            self.initial["role"] = role


class PredoseForm(VersionedFlowsheetForm):
    action = "predose"
    submit_label = "Save pre-dose checks"
    fields_layout = ("pregnancy_test", "cssrs_pre_ideation", "cssrs_pre_behaviour")

    pregnancy_test = forms.ChoiceField(
        label="Pregnancy test (today)",
        choices=DosingSession.PregnancyTest.choices,
        widget=forms.RadioSelect,
        help_text=SAFETY_ANSWER_HELP,
        error_messages={"required": PREGNANCY_TEST_REQUIRED},
    )
    cssrs_pre_ideation = cssrs_ideation_field("C-SSRS ideation severity")
    cssrs_pre_behaviour = yes_no_field("Suicidal behaviour since the last visit")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        session = self.session
        if not self.is_bound and session.predose_checked_at:
            self.initial.update(
                pregnancy_test=session.pregnancy_test,
                cssrs_pre_ideation=session.cssrs_pre_ideation,
                cssrs_pre_behaviour=session.cssrs_pre_behaviour,
            )


class EndForm(VersionedFlowsheetForm):
    action = "end"
    submit_label = "End the session"
    fields_layout = (
        "not_dosed_reason",
        "ended_at",
        "cssrs_post_ideation",
        "cssrs_post_behaviour",
        "overnight_ready",
        "overnight_note",
    )

    not_dosed_reason = text_field(
        "Why no dose was given",
        help_text="Only when the session ends without a dose.",
    )
    ended_at = WhenField(label="Ended at")
    cssrs_post_ideation = cssrs_ideation_field("C-SSRS ideation severity at the end")
    cssrs_post_behaviour = yes_no_field("Suicidal behaviour during the session")
    overnight_ready = yes_no_field("Ready for the overnight stay")
    overnight_note = text_field(
        "Readiness notes",
        help_text="Required if the participant is not ready: why, and what was done.",
    )

    def __init__(self, *args, dosed: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        session = self.session
        if dosed:
            del self.fields["not_dosed_reason"]
            self.helper.layout.fields.remove("not_dosed_reason")
        if self.late:
            self.submit_label = "Save the correction"
            self.helper.layout[-1] = self.submit_button()
        if not self.is_bound:
            if session.ended_at:
                self.initial.update(
                    ended_at=local_input(session.ended_at),
                    cssrs_post_ideation=session.cssrs_post_ideation,
                    cssrs_post_behaviour=session.cssrs_post_behaviour,
                    overnight_ready=session.overnight_ready,
                    overnight_note=session.overnight_note,
                    not_dosed_reason=session.not_dosed_reason,
                )
            else:
                self.initial["ended_at"] = now_local()

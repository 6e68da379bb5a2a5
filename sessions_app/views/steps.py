"""The steps of the dosing-session flowsheet, in the order a session runs: each its form, the
service it runs, when the session's state offers it, and what the user is told after it
(records.steps). The flowsheet's view (views/flowsheet.py) serves them.
"""

from records import measurements
from records.forms import form_values
from records.steps import Step, Steps
from sessions_app.forms.doses import InitialDoseForm, SupplementalForm
from sessions_app.forms.readings import ObservationForm, ReadingForm
from sessions_app.forms.session import AttestForm, EndForm, PredoseForm, StartForm
from sessions_app.models import DosingSession
from sessions_app.services import flowsheet as services

Status = DosingSession.Status


def _started(view) -> bool:
    return view.session.status != Status.NOT_STARTED


def _running(view) -> bool:
    return view.session.status == Status.IN_PROGRESS


def _dosed(view) -> bool:
    return view.sheet.initial is not None


def _attest_step(role: str) -> Step:
    def form(view, data):
        return AttestForm(session=view.session, data=data, role=role)

    def perform(view, form) -> str:
        services.presence_attest(
            actor=view.request.user,
            session=view.session,
            role=role,
            password=form.cleaned_data["password"],
            request=view.request,
        )
        return "Presence attested."

    def offered(view) -> bool:
        return _started(view) and getattr(view.session, f"{role}_attested_at") is None

    return Step(f"attest-{role}", form, perform, offered, anchor="team")


def _reading_message(reading) -> str:
    if reading.flags:
        return (
            "Reading recorded. Over the threshold: "
            + ", ".join(reading.flags)
            + ". The medical monitors are being alerted; the next reading is due sooner."
        )
    return "Reading recorded."


def _end(view, form) -> str:
    late = view.session.status == Status.ENDED
    services.dosing_session_end(**view.step_arguments(), **form_values(form, END_ARGUMENTS))
    if late:
        return "End-of-session details corrected."
    return "Session ended. The site investigator can now sign it."


END_ARGUMENTS = (
    "ended_at",
    "cssrs_post_ideation",
    "cssrs_post_behaviour",
    "overnight_ready",
    "overnight_note",
    "version",
    "reason",
    "not_dosed_reason",
)


def _session_form(form_class, **extra):
    """The step's form on the view's session; `extra` names what else it is built with, each
    a function of the view."""

    def build(view, data):
        return form_class(
            session=view.session, data=data, **{name: get(view) for name, get in extra.items()}
        )

    return build


FLOWSHEET_STEPS = Steps(
    [
        Step(
            "start",
            _session_form(
                StartForm,
                team=lambda view: services.session_team_candidates(session=view.session),
                user=lambda view: view.request.user,
            ),
            offered=lambda view: not _started(view) and not view.session.start_closed_reason,
            service=services.dosing_session_start,
            arguments=(
                "started_at",
                "lead_therapist",
                "co_therapist",
                "deviation_explanation",
                "version",
            ),
            message="Session started. Each therapist of the team now attests presence.",
        ),
        _attest_step("lead"),
        _attest_step("co"),
        Step(
            "reading",
            _session_form(ReadingForm),
            offered=_started,
            service=services.vital_sign_record,
            arguments=("measured_at", *measurements.READING_NAMES, "reason"),
            message=_reading_message,
        ),
        Step(
            "observation",
            _session_form(ObservationForm),
            offered=_started,
            service=services.observation_record,
            arguments=("observed_at", "kind", "text", "reason"),
            message="Added to the session record.",
        ),
        Step(
            "predose",
            _session_form(PredoseForm),
            # Closed once dosed, until the session ends (then a late correction, with a reason).
            offered=lambda view: (
                _started(view) and (not _dosed(view) or view.session.status == Status.ENDED)
            ),
            service=services.predose_checks_record,
            arguments=(
                "pregnancy_test",
                "cssrs_pre_ideation",
                "cssrs_pre_behaviour",
                "version",
                "reason",
            ),
            message="Pre-dose checks saved.",
        ),
        Step(
            "dose",
            _session_form(InitialDoseForm),
            offered=lambda view: _running(view) and not _dosed(view),
            service=services.dose_initial_administer,
            arguments=("dose_mg", "kit_number", "administered_at"),
            message=lambda dose: f"Initial dose recorded (kit {dose.kit_number}).",
        ),
        Step(
            "supplemental",
            _session_form(SupplementalForm, initial_dose=lambda view: view.sheet.initial),
            offered=lambda view: (
                _running(view) and _dosed(view) and not view.session.supplemental_decision
            ),
            service=services.supplemental_decide,
            arguments=(
                "decision",
                "decision_reason",
                "dose_mg",
                "kit_number",
                "administered_at",
                "deviation_reason",
            ),
            renamed={"decision_reason": "reason"},
            message="Supplemental-dose decision recorded.",
        ),
        Step(
            "end",
            _session_form(EndForm, dosed=_dosed),
            _end,
            offered=lambda view: (
                _started(view) and (not _dosed(view) or bool(view.session.supplemental_decision))
            ),
        ),
    ]
)

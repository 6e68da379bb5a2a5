"""The steps of the dosing-session flowsheet, in the order a session runs: each its form, the
service it runs, when the session's state offers it, and what the user is told after it
(records.steps). The flowsheet's view (views/flowsheet.py) serves them.
"""

from records.steps import Step, Steps
from sessions_app.forms.flowsheet import (
    AttestForm,
    EndForm,
    InitialDoseForm,
    ObservationForm,
    PredoseForm,
    ReadingForm,
    StartForm,
    SupplementalForm,
)
from sessions_app.models import DosingSession
from sessions_app.services import flowsheet as services

Status = DosingSession.Status


def _started(view) -> bool:
    return view.session.status != Status.NOT_STARTED


def _running(view) -> bool:
    return view.session.status == Status.IN_PROGRESS


def _dosed(view) -> bool:
    return view.sheet.initial is not None


# --- Start and team ----------------------------------------------------------------------------


def _start_form(view, data):
    return StartForm(
        session=view.session,
        data=data,
        team=services.session_team_candidates(session=view.session),
        user=view.request.user,
    )


def _start(view, form) -> str:
    data = form.cleaned_data
    services.dosing_session_start(
        actor=view.request.user,
        session=view.session,
        started_at=data["started_at"],
        lead_therapist=data["lead_therapist"],
        co_therapist=data["co_therapist"],
        deviation_explanation=data["deviation_explanation"],
        expected_version=data["version"],
    )
    return "Session started. Each therapist of the team now attests presence."


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


# --- Readings and observations -----------------------------------------------------------------


def _reading(view, form) -> str:
    reading = services.vital_sign_record(
        actor=view.request.user,
        session=view.session,
        reason=form.cleaned_data.get("reason", ""),
        **form.values(),
    )
    if reading.flags:
        return (
            "Reading recorded. Over the threshold: "
            + ", ".join(reading.flags)
            + ". The medical monitors are being alerted; the next reading is due sooner."
        )
    return "Reading recorded."


def _observation(view, form) -> str:
    data = form.cleaned_data
    services.observation_record(
        actor=view.request.user,
        session=view.session,
        observed_at=data["observed_at"],
        kind=data["kind"],
        text=data["text"],
        reason=data.get("reason", ""),
    )
    return "Added to the session record."


# --- Pre-dose checks and doses -----------------------------------------------------------------


def _predose(view, form) -> str:
    data = form.cleaned_data
    services.predose_checks_record(
        actor=view.request.user,
        session=view.session,
        pregnancy_test=data["pregnancy_test"],
        cssrs_pre_ideation=data["cssrs_pre_ideation"],
        cssrs_pre_behaviour=data["cssrs_pre_behaviour"],
        expected_version=data["version"],
        reason=data.get("reason", ""),
    )
    return "Pre-dose checks saved."


def _dose(view, form) -> str:
    data = form.cleaned_data
    dose = services.dose_initial_administer(
        actor=view.request.user,
        session=view.session,
        dose_mg=data["dose_mg"],
        kit_number=data["kit_number"],
        administered_at=data["administered_at"],
    )
    return f"Initial dose recorded (kit {dose.kit_number})."


def _supplemental(view, form) -> str:
    data = form.cleaned_data
    services.supplemental_decide(
        actor=view.request.user,
        session=view.session,
        decision=data["decision"],
        reason=data["decision_reason"],
        dose_mg=data["dose_mg"],
        kit_number=data["kit_number"],
        administered_at=data["administered_at"],
        deviation_reason=data["deviation_reason"],
    )
    return "Supplemental-dose decision recorded."


# --- End ---------------------------------------------------------------------------------------


def _end(view, form) -> str:
    data = form.cleaned_data
    late = view.session.status == Status.ENDED
    services.dosing_session_end(
        actor=view.request.user,
        session=view.session,
        ended_at=data["ended_at"],
        cssrs_post_ideation=data["cssrs_post_ideation"],
        cssrs_post_behaviour=data["cssrs_post_behaviour"],
        overnight_ready=data["overnight_ready"],
        overnight_note=data["overnight_note"],
        expected_version=data["version"],
        reason=data.get("reason", ""),
        not_dosed_reason=data.get("not_dosed_reason", ""),
    )
    if late:
        return "End-of-session details corrected."
    return "Session ended. The site investigator can now sign it."


def _session_form(form_class):
    def build(view, data):
        return form_class(session=view.session, data=data)

    return build


FLOWSHEET_STEPS = Steps(
    [
        Step(
            "start",
            _start_form,
            _start,
            offered=lambda view: not _started(view) and not view.session.start_closed_reason,
        ),
        _attest_step("lead"),
        _attest_step("co"),
        Step("reading", _session_form(ReadingForm), _reading, offered=_started),
        Step("observation", _session_form(ObservationForm), _observation, offered=_started),
        Step(
            "predose",
            _session_form(PredoseForm),
            _predose,
            # Closed once dosed, until the session ends (then a late correction, with a reason).
            offered=lambda view: (
                _started(view) and (not _dosed(view) or view.session.status == Status.ENDED)
            ),
        ),
        Step(
            "dose",
            _session_form(InitialDoseForm),
            _dose,
            offered=lambda view: _running(view) and not _dosed(view),
        ),
        Step(
            "supplemental",
            lambda view, data: SupplementalForm(
                session=view.session, data=data, initial_dose=view.sheet.initial
            ),
            _supplemental,
            offered=lambda view: (
                _running(view) and _dosed(view) and not view.session.supplemental_decision
            ),
        ),
        Step(
            "end",
            lambda view, data: EndForm(session=view.session, data=data, dosed=_dosed(view)),
            _end,
            offered=lambda view: (
                _started(view) and (not _dosed(view) or bool(view.session.supplemental_decision))
            ),
        ),
    ]
)

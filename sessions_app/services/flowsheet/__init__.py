"""Writes of the dosing-session flowsheet, in the order a session runs.

Start (team), presence attestations, pre-dose checks, the initial dose, readings and observations,
the supplemental go/no-go, the end of the session, the investigator's signature. Once a session has
ended, any change needs a reason and voids the investigator's signature: the session's version is
bumped, so the signature no longer matches it.

One module per concept, each with its corrections: `team` (start, team, presence, the start's
correction), `session` (pre-dose checks, end, signature), `doses` (initial and supplemental doses),
`dose_corrections` (a dose's and the supplemental decision's corrections), `readings` (readings,
observations and their corrections); `common` holds the rules they share. An alert's life is
sessions_app/services/alerts.py.

The names the flowsheet's callers use (views, forms, other apps, the seeders, the tests) are
re-exported here, so `from sessions_app.services import flowsheet` and
`flowsheet.vital_sign_record(...)` keep working.
"""

from sessions_app.services.flowsheet.common import (
    BEFORE_START_TOLERANCE,
    FlowsheetError,
)
from sessions_app.services.flowsheet.dose_corrections import (
    dose_administration_correct,
    supplemental_decision_correct,
)
from sessions_app.services.flowsheet.doses import (
    dose_initial_administer,
    supplemental_administration,
    supplemental_decide,
    supplemental_deviation,
    supplemental_timing,
)
from sessions_app.services.flowsheet.readings import (
    entry_strike_through,
    observation_correct,
    observation_record,
    vital_sign_correct,
    vital_sign_record,
)
from sessions_app.services.flowsheet.session import (
    SIGN_STATEMENT,
    TEAM_ACKNOWLEDGEMENT_REQUIRED,
    dosing_session_end,
    dosing_session_sign,
    predose_checks_record,
    team_acknowledgement,
)
from sessions_app.services.flowsheet.team import (
    dosing_session_start,
    presence_attest,
    session_start_correct,
    session_team_candidates,
    start_team_choices,
)

__all__ = [
    "entry_strike_through",
    "dose_administration_correct",
    "session_start_correct",
    "start_team_choices",
    "supplemental_decision_correct",
    "BEFORE_START_TOLERANCE",
    "SIGN_STATEMENT",
    "TEAM_ACKNOWLEDGEMENT_REQUIRED",
    "FlowsheetError",
    "dose_initial_administer",
    "dosing_session_end",
    "dosing_session_sign",
    "dosing_session_start",
    "observation_correct",
    "observation_record",
    "predose_checks_record",
    "presence_attest",
    "session_team_candidates",
    "team_acknowledgement",
    "supplemental_administration",
    "supplemental_decide",
    "supplemental_deviation",
    "supplemental_timing",
    "vital_sign_correct",
    "vital_sign_record",
]

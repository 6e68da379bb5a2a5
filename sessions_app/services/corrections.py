"""Corrections of flowsheet entries that are not readings, observations, checks or the end.

The start time and the team, a dose administration, and the supplemental go/no-go. Each now lives
beside what it corrects, in sessions_app/services/flowsheet/ (`team`, `dose_corrections`); their
names are re-exported here for the callers that import them as
`sessions_app.services.corrections` (the correction views, the tests).
"""

from sessions_app.services.flowsheet.common import UNCHANGED
from sessions_app.services.flowsheet.dose_corrections import (
    dose_administration_correct,
    supplemental_decision_correct,
)
from sessions_app.services.flowsheet.team import (
    ROLES,
    session_start_correct,
    start_team_choices,
)

__all__ = [
    "ROLES",
    "UNCHANGED",
    "dose_administration_correct",
    "session_start_correct",
    "start_team_choices",
    "supplemental_decision_correct",
]

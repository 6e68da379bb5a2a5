"""The course of therapy: visits, dosing-session flowsheets, vital-sign alerts, integration notes.

Every model here holds clinical data and is audited (registered at the bottom of its module).
Records edited through forms are versioned, so a save that comes after someone else's is refused.

One module per concept: `course` (session settings, visits), `flowsheet` (dosing sessions, doses,
readings, observations), `alerts` (vital-sign alerts and their notifications) and `notes`
(integration notes). Every model is re-exported here, so `from sessions_app.models import Visit`
keeps working and Django finds them all.
"""

from sessions_app.models.alerts import AlertNotification, VitalSignAlert
from sessions_app.models.course import StudySessionSettings, Visit
from sessions_app.models.flowsheet import (
    DoseAdministration,
    DosingSession,
    Observation,
    VitalSignReading,
)
from sessions_app.models.notes import IntegrationNote

__all__ = [
    "AlertNotification",
    "DoseAdministration",
    "DosingSession",
    "IntegrationNote",
    "Observation",
    "StudySessionSettings",
    "Visit",
    "VitalSignAlert",
    "VitalSignReading",
]

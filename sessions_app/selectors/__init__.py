"""Reads of visits, flowsheets, alerts and notes, always within the user's site scope.

Each returns what its page shows with the related rows already loaded, so that a page's query
count does not grow with the number of readings, visits or alerts.

One module per concept: `course`, `flowsheet`, `alerts`, `notes`. Their public names are
re-exported here: other apps, the views (`selectors.session_get`) and the tests read them as
`sessions_app.selectors.<name>`.
"""

from sessions_app.selectors.alerts import (
    VIEW_ALERT,
    alert_list,
    alert_summary,
    monitors_of,
    open_alert_count,
    open_alerts,
)
from sessions_app.selectors.course import VIEW_VISIT, course_for, visit_get
from sessions_app.selectors.flowsheet import (
    MEASUREMENT_LABELS,
    VIEW_SESSION,
    Flowsheet,
    administration_get,
    elapsed_label,
    elapsed_minutes,
    flowsheet_for,
    next_reading_due,
    observation_get,
    reading_get,
    session_get,
    sessions_at_hand,
    sessions_awaiting_signature,
)
from sessions_app.selectors.notes import VIEW_NOTE, note_visits

__all__ = [
    "MEASUREMENT_LABELS",
    "VIEW_ALERT",
    "VIEW_NOTE",
    "VIEW_SESSION",
    "VIEW_VISIT",
    "Flowsheet",
    "administration_get",
    "alert_list",
    "alert_summary",
    "course_for",
    "elapsed_label",
    "elapsed_minutes",
    "flowsheet_for",
    "monitors_of",
    "next_reading_due",
    "note_visits",
    "observation_get",
    "open_alert_count",
    "open_alerts",
    "reading_get",
    "session_get",
    "sessions_at_hand",
    "sessions_awaiting_signature",
    "visit_get",
]

"""The flowsheet's forms, one per step (the steps themselves: sessions_app/views/steps.py).

The steps live by concept: sessions_app/forms/session.py (start, attestations, pre-dose checks,
end), doses.py (initial dose, supplemental decision), readings.py (readings, observations and
their corrections); step.py is their base, fields.py the fields and time helpers they share. The
step forms, which the flowsheet's view builds, and SupplementalDoseFields (which the tests
import from here) are re-exported.
"""

from sessions_app.forms.doses import (
    InitialDoseForm,
    SupplementalDoseFields,
    SupplementalForm,
)
from sessions_app.forms.readings import ObservationForm, ReadingForm
from sessions_app.forms.session import AttestForm, EndForm, PredoseForm, StartForm

__all__ = [
    "AttestForm",
    "EndForm",
    "InitialDoseForm",
    "ObservationForm",
    "PredoseForm",
    "ReadingForm",
    "StartForm",
    "SupplementalDoseFields",
    "SupplementalForm",
]

"""The one list of the measurements the app records: name, label, unit, physiological range,
the study setting that holds its alert threshold, and its CDISC test code and name.

The ranged model fields (`records.fields`), the flowsheet's forms and chart, the alerts and their
emails, the adverse-event draft opened from a reading and the SDTM VS export all read it here, so
a measurement is described once.

Ranges are what a human body can show, not clinical thresholds: a value outside is refused as
impossible. Thresholds are per study (`threshold_setting` names the study settings' field).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import TextChoices


@dataclass(frozen=True)
class Measurement:
    name: str
    label: str  # as a column or a form label says it: "Systolic"
    unit: str  # as printed after a value: "mmHg"
    low: int
    high: int
    what: str  # the subject of its range message: "Systolic pressure must be between ..."
    message_unit: str = ""  # the unit in that message, with its leading space: " mmHg"

    @property
    def range_message(self) -> str:
        return f"{self.what} must be between {self.low} and {self.high}{self.message_unit}."

    @property
    def form_label(self) -> str:
        return f"{self.label} ({self.unit})" if self.unit else self.label

    @property
    def term(self) -> str:
        """How an adverse event's verbatim term names it ("Systolic blood pressure")."""
        return _TERMS.get(self.name, self.label)

    @property
    def threshold_setting(self) -> str:
        """The StudySessionSettings field of its alert threshold; "" where it has none."""
        return _THRESHOLD_SETTINGS.get(self.name, "")

    @property
    def vstestcd(self) -> str:
        """Its CDISC SDTM VS test code; "" where it is not a vital sign."""
        return _VS.get(self.name, ("", ""))[0]

    @property
    def vstest(self) -> str:
        return _VS.get(self.name, ("", ""))[1]

    def outside(self, value: Decimal | int) -> bool:
        return not self.low <= value <= self.high


M = Measurement
# Vital signs of a dosing session (each with an alert threshold).
SYSTOLIC = M("systolic", "Systolic", "mmHg", 50, 300, "Systolic pressure", " mmHg")
DIASTOLIC = M("diastolic", "Diastolic", "mmHg", 20, 200, "Diastolic pressure", " mmHg")
PULSE = M("pulse", "Pulse", "bpm", 20, 250, "Pulse", " beats per minute")
TEMPERATURE = M("temperature", "Temperature", "°C", 30, 45, "Body temperature", " °C")
# Subjective Units of Distress, 0 (none) to 10 (worst imaginable): a rating, not a vital sign.
SUDS = M("suds", "SUDS", "0–10", 0, 10, "SUDS")
# Screening measurements.
WEIGHT = M("weight", "Weight", "kg", 20, 400, "Weight", " kg")
QTC = M("qtc", "QTc", "ms", 250, 700, "QTc", " ms")
CAPS5_TOTAL = M(
    "caps5_total", "CAPS-5 total severity", "", 0, 80, "The CAPS-5 total severity score"
)
# C-SSRS suicidal ideation severity: 0 (none) to 5 (active ideation with plan and intent).
CSSRS_IDEATION = M(
    "cssrs_ideation", "C-SSRS ideation severity", "", 0, 5, "C-SSRS ideation severity"
)

# The C-SSRS ideation levels, as every form offers them.
CSSRS_IDEATION_LEVELS = (
    (0, "0 - No ideation"),
    (1, "1 - Wish to be dead"),
    (2, "2 - Non-specific active suicidal thoughts"),
    (3, "3 - Active ideation with method, no intent to act"),
    (4, "4 - Active ideation with some intent to act, no plan"),
    (5, "5 - Active ideation with specific plan and intent"),
)


class PregnancyTest(TextChoices):
    """A pregnancy test's result: at screening, and again before each dosing session."""

    NEGATIVE = "negative", "Negative"
    POSITIVE = "positive", "Positive"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


_TERMS = {
    "systolic": "Systolic blood pressure",
    "diastolic": "Diastolic blood pressure",
    "temperature": "Body temperature",
}
_THRESHOLD_SETTINGS = {
    "systolic": "systolic_max",
    "diastolic": "diastolic_max",
    "pulse": "pulse_max",
    "temperature": "temperature_max",
}
# CDISC SDTM VS (SDTMIG 3.4): VSTESTCD and VSTEST of each vital sign.
_VS = {
    "systolic": ("SYSBP", "Systolic Blood Pressure"),
    "diastolic": ("DIABP", "Diastolic Blood Pressure"),
    "pulse": ("PULSE", "Pulse Rate"),
    "temperature": ("TEMP", "Temperature"),
    "weight": ("WEIGHT", "Weight"),
}

# What a dosing-session reading holds, in the order the flowsheet shows it.
READING = (SYSTOLIC, DIASTOLIC, PULSE, TEMPERATURE, SUDS)
READING_NAMES = tuple(m.name for m in READING)
# The vital signs of a reading: those with an alert threshold.
VITAL_SIGNS = tuple(m for m in READING if m.threshold_setting)
VITAL_SIGN_NAMES = tuple(m.name for m in VITAL_SIGNS)

BY_NAME = {m.name: m for m in (*READING, WEIGHT, QTC, CAPS5_TOTAL, CSSRS_IDEATION)}

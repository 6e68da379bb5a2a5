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


@dataclass(frozen=True)
class Measurement:
    name: str
    label: str  # as a column or a form label says it: "Systolic"
    unit: str  # as printed after a value: "mmHg"
    low: int
    high: int
    what: str  # the subject of its range message: "Systolic pressure must be between ..."
    message_unit: str = ""  # the unit in that message, with its leading space: " mmHg"
    threshold_setting: str = ""  # the StudySessionSettings field of its alert threshold
    vstestcd: str = ""  # CDISC SDTM VS test code; "" where the measurement is not a vital sign
    vstest: str = ""
    vsorresu: str = ""  # CDISC unit (controlled terminology)

    @property
    def range_message(self) -> str:
        return f"{self.what} must be between {self.low} and {self.high}{self.message_unit}."

    @property
    def form_label(self) -> str:
        return f"{self.label} ({self.unit})" if self.unit else self.label

    def outside(self, value: Decimal | int) -> bool:
        return not self.low <= value <= self.high


def _m(**kwargs) -> Measurement:
    return Measurement(**kwargs)


SYSTOLIC = _m(
    name="systolic",
    label="Systolic",
    unit="mmHg",
    low=50,
    high=300,
    what="Systolic pressure",
    message_unit=" mmHg",
    threshold_setting="systolic_max",
    vstestcd="SYSBP",
    vstest="Systolic Blood Pressure",
    vsorresu="mmHg",
)
DIASTOLIC = _m(
    name="diastolic",
    label="Diastolic",
    unit="mmHg",
    low=20,
    high=200,
    what="Diastolic pressure",
    message_unit=" mmHg",
    threshold_setting="diastolic_max",
    vstestcd="DIABP",
    vstest="Diastolic Blood Pressure",
    vsorresu="mmHg",
)
PULSE = _m(
    name="pulse",
    label="Pulse",
    unit="bpm",
    low=20,
    high=250,
    what="Pulse",
    message_unit=" beats per minute",
    threshold_setting="pulse_max",
    vstestcd="PULSE",
    vstest="Pulse Rate",
    vsorresu="beats/min",
)
TEMPERATURE = _m(
    name="temperature",
    label="Temperature",
    unit="°C",
    low=30,
    high=45,
    what="Body temperature",
    message_unit=" °C",
    threshold_setting="temperature_max",
    vstestcd="TEMP",
    vstest="Temperature",
    vsorresu="C",
)
# Subjective Units of Distress, 0 (none) to 10 (worst imaginable): a rating, not a vital sign.
SUDS = _m(name="suds", label="SUDS", unit="0–10", low=0, high=10, what="SUDS")
WEIGHT = _m(
    name="weight",
    label="Weight",
    unit="kg",
    low=20,
    high=400,
    what="Weight",
    message_unit=" kg",
    vstestcd="WEIGHT",
    vstest="Weight",
    vsorresu="kg",
)
QTC = _m(name="qtc", label="QTc", unit="ms", low=250, high=700, what="QTc", message_unit=" ms")
CAPS5_TOTAL = _m(
    name="caps5_total",
    label="CAPS-5 total severity",
    unit="",
    low=0,
    high=80,
    what="The CAPS-5 total severity score",
)
# C-SSRS suicidal ideation severity: 0 (none) to 5 (active ideation with plan and intent).
CSSRS_IDEATION = _m(
    name="cssrs_ideation",
    label="C-SSRS ideation severity",
    unit="",
    low=0,
    high=5,
    what="C-SSRS ideation severity",
)

# What a dosing-session reading holds, in the order the flowsheet shows it.
READING = (SYSTOLIC, DIASTOLIC, PULSE, TEMPERATURE, SUDS)
READING_NAMES = tuple(m.name for m in READING)
# The vital signs of a reading: those with an alert threshold.
VITAL_SIGNS = tuple(m for m in READING if m.threshold_setting)
VITAL_SIGN_NAMES = tuple(m.name for m in VITAL_SIGNS)

BY_NAME = {
    m.name: m
    for m in (SYSTOLIC, DIASTOLIC, PULSE, TEMPERATURE, SUDS, WEIGHT, QTC, CAPS5_TOTAL)
    + (CSSRS_IDEATION,)
}

"""Model fields that carry physiological ranges, so every form built on them refuses the same
impossible values with the same clear message (after clinicedc's edc_vitals).

Ranges are what a human body can show, not clinical thresholds: thresholds belong to criteria
and study settings. Cross-field checks (diastolic below systolic) live in the model's `clean()`
and a database constraint.
"""

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


def _range(low, high, what: str, unit: str):
    message = f"{what} must be between {low} and {high}{unit}."
    return [MinValueValidator(low, message=message), MaxValueValidator(high, message=message)]


class RangedIntegerField(models.PositiveSmallIntegerField):
    """A small integer limited to [low, high], with a message naming the measurement and unit."""

    low: int = 0
    high: int = 0
    what: str = "The value"
    unit: str = ""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", _range(self.low, self.high, self.what, self.unit))
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("validators", None)
        return name, path, args, kwargs


class SystolicPressureField(RangedIntegerField):
    low, high, what, unit = 50, 300, "Systolic pressure", " mmHg"


class DiastolicPressureField(RangedIntegerField):
    low, high, what, unit = 20, 200, "Diastolic pressure", " mmHg"


class PulseField(RangedIntegerField):
    low, high, what, unit = 20, 250, "Pulse", " beats per minute"


class QTcField(RangedIntegerField):
    low, high, what, unit = 250, 700, "QTc", " ms"


class CAPS5TotalField(RangedIntegerField):
    low, high, what, unit = 0, 80, "The CAPS-5 total severity score", ""


class SUDSField(RangedIntegerField):
    """Subjective Units of Distress, 0 (none) to 10 (worst imaginable)."""

    low, high, what, unit = 0, 10, "SUDS", ""


class CSSRSIdeationField(RangedIntegerField):
    """C-SSRS suicidal ideation severity: 0 (none) to 5 (active ideation with plan and intent)."""

    low, high, what, unit = 0, 5, "C-SSRS ideation severity", ""


class TemperatureField(models.DecimalField):
    """Body temperature in °C, 30.0 to 45.0."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 4)
        kwargs.setdefault("decimal_places", 1)
        kwargs.setdefault("validators", _range(30, 45, "Body temperature", " °C"))
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("validators", None)
        return name, path, args, kwargs


class WeightField(models.DecimalField):
    """Body weight in kg, 20.0 to 400.0."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 4)
        kwargs.setdefault("decimal_places", 1)
        kwargs.setdefault("validators", _range(20, 400, "Weight", " kg"))
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("validators", None)
        return name, path, args, kwargs


def validate_date_of_birth(value: datetime.date) -> None:
    """Not in the future and not more than 120 years ago."""
    today = timezone.localdate()
    if value > today:
        raise ValidationError("The date of birth cannot be in the future.")
    try:
        limit = today.replace(year=today.year - 120)
    except ValueError:  # 29 February
        limit = today.replace(year=today.year - 120, day=28)
    if value < limit:
        raise ValidationError("The date of birth is more than 120 years ago (age over 120).")


def validate_diastolic_below_systolic(systolic: int | None, diastolic: int | None) -> None:
    if systolic is None or diastolic is None:
        return
    if not SystolicPressureField.low <= systolic <= SystolicPressureField.high:
        return  # the systolic value is refused on its own; comparing with it would mislead
    if diastolic >= systolic:
        raise ValidationError(
            {"diastolic_bp": f"Diastolic pressure must be below systolic ({systolic} mmHg)."}
        )

"""Model fields that carry physiological ranges, so every form built on them refuses the same
impossible values with the same clear message (after clinicedc's edc_vitals).

Ranges are what a human body can show, not clinical thresholds: thresholds belong to criteria
and study settings. Each field takes its range and message from the measurement registry
(`records.measurements`). Cross-field checks (diastolic below systolic) live in the model's
`clean()` and a database constraint.
"""

from decimal import Decimal, DecimalException

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from records import measurements
from records.measurements import Measurement


def _range(measurement: Measurement):
    low, high, message = measurement.low, measurement.high, measurement.range_message
    return [MinValueValidator(low, message=message), MaxValueValidator(high, message=message)]


def _as_number(value) -> Decimal | None:
    """The number typed, in any notation Decimal reads ("1e5", "inf", "nan"); None if none."""
    try:
        return Decimal(str(value).strip())
    except (DecimalException, ValueError, TypeError):
        return None


class RangedFormFieldMixin:
    """A form field that judges the range before the number's form.

    Any number outside [low, high], however it is written ("1e400", "1e5", "-inf", "nan"), gets
    the range message rather than one about its digits or notation.
    """

    def __init__(self, *, low, high, message: str, **kwargs):
        self.low, self.high, self.range_message = low, high, message
        super().__init__(**kwargs)

    # A text input with a numeric keyboard: a browser empties a number input it cannot read
    # ("1e400"), so the typed value would be lost instead of refused beside the field.
    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def outside(self, number: Decimal) -> bool:
        return not number.is_finite() or not self.low <= number <= self.high

    def refuse(self) -> ValidationError:
        return ValidationError(self.range_message, code="range")

    def validate(self, value):
        if value not in self.empty_values and self.outside(Decimal(value)):
            raise self.refuse()
        super().validate(value)


class RangedIntegerFormField(RangedFormFieldMixin, forms.IntegerField):
    """A whole number in [low, high]: "36.5" is not a pulse, "1e5" is out of range."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError:
            number = _as_number(value)
            if number is None:
                raise
            if self.outside(number):
                raise self.refuse() from None
            if number != number.to_integral_value():
                raise
            return int(number)


class RangedDecimalFormField(RangedFormFieldMixin, forms.DecimalField):
    """A decimal in [low, high]; its digits are judged only once it is in range."""


class RangedModelFieldMixin:
    """A model field limited to its measurement's [low, high], with a message naming the
    measurement and unit.

    The range is the class's, not an argument: migrations do not repeat its validators.
    """

    measurement: Measurement
    range_form_class: type[forms.Field]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "measurement" in cls.__dict__:
            cls.low, cls.high = cls.measurement.low, cls.measurement.high

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", _range(self.measurement))
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("validators", None)
        return name, path, args, kwargs

    def formfield(self, **kwargs):
        return super().formfield(
            **{
                "form_class": self.range_form_class,
                "low": self.low,
                "high": self.high,
                "message": self.measurement.range_message,
                **kwargs,
            }
        )


class RangedIntegerField(RangedModelFieldMixin, models.PositiveSmallIntegerField):
    """A small integer limited to [low, high], with a message naming the measurement and unit."""

    range_form_class = RangedIntegerFormField

    def formfield(self, **kwargs):
        # The range replaces the positive-integer bound.
        return super().formfield(**{"min_value": None, **kwargs})


class SystolicPressureField(RangedIntegerField):
    measurement = measurements.SYSTOLIC


class DiastolicPressureField(RangedIntegerField):
    measurement = measurements.DIASTOLIC


class PulseField(RangedIntegerField):
    measurement = measurements.PULSE


class QTcField(RangedIntegerField):
    measurement = measurements.QTC


class CAPS5TotalField(RangedIntegerField):
    measurement = measurements.CAPS5_TOTAL


class SUDSField(RangedIntegerField):
    """Subjective Units of Distress, 0 (none) to 10 (worst imaginable)."""

    measurement = measurements.SUDS


class CSSRSIdeationField(RangedIntegerField):
    """C-SSRS suicidal ideation severity: 0 (none) to 5 (active ideation with plan and intent)."""

    measurement = measurements.CSSRS_IDEATION


class RangedDecimalField(RangedModelFieldMixin, models.DecimalField):
    """A decimal with one place limited to [low, high], with a message like RangedIntegerField's."""

    range_form_class = RangedDecimalFormField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 4)
        kwargs.setdefault("decimal_places", 1)
        super().__init__(*args, **kwargs)


class TemperatureField(RangedDecimalField):
    """Body temperature in °C, 30.0 to 45.0."""

    measurement = measurements.TEMPERATURE


class WeightField(RangedDecimalField):
    """Body weight in kg, 20.0 to 400.0."""

    measurement = measurements.WEIGHT


# The database's constraint says it without the value; clean() says it beside the field, with it.
DIASTOLIC_BELOW_SYSTOLIC = "Diastolic pressure must be below systolic."


def diastolic_below_systolic_message(systolic: int) -> str:
    return f"{DIASTOLIC_BELOW_SYSTOLIC.removesuffix('.')} ({systolic} mmHg)."


def validate_diastolic_below_systolic(
    systolic: int | None, diastolic: int | None, field: str = "diastolic_bp"
) -> None:
    if systolic is None or diastolic is None:
        return
    if measurements.SYSTOLIC.outside(systolic):
        return  # the systolic value is refused on its own; comparing with it would mislead
    if diastolic >= systolic:
        raise ValidationError({field: diastolic_below_systolic_message(systolic)})


def user_field(*, optional: bool = False, **kwargs) -> models.ForeignKey:
    """Who did something to a clinical record (recorded it, attested, acknowledged): a user, kept
    as long as the record (PROTECT), with no reverse accessor; `optional` until it is done."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=optional,
        blank=optional,
        **kwargs,
    )


def optional_link(to, *, related_name: str, **kwargs) -> models.ForeignKey:
    """An optional link from a clinical record to the record it came from or follows (a session,
    a reading, a visit), which is then kept as long as the link (PROTECT)."""
    return models.ForeignKey(
        to, on_delete=models.PROTECT, null=True, blank=True, related_name=related_name, **kwargs
    )

"""The measurement registry is the one description of each measurement: the ranged fields take
their range and message from it."""

import pytest
from django.core.exceptions import ValidationError

from records import fields, measurements

RANGED = [
    (fields.SystolicPressureField, measurements.SYSTOLIC),
    (fields.DiastolicPressureField, measurements.DIASTOLIC),
    (fields.PulseField, measurements.PULSE),
    (fields.TemperatureField, measurements.TEMPERATURE),
    (fields.SUDSField, measurements.SUDS),
    (fields.WeightField, measurements.WEIGHT),
    (fields.QTcField, measurements.QTC),
    (fields.CAPS5TotalField, measurements.CAPS5_TOTAL),
    (fields.CSSRSIdeationField, measurements.CSSRS_IDEATION),
]


@pytest.mark.parametrize(("field_class", "measurement"), RANGED)
def test_a_ranged_field_refuses_just_outside_its_measurements_range(field_class, measurement):
    form_field = field_class().formfield()
    assert form_field.clean(str(measurement.low)) == measurement.low
    assert form_field.clean(str(measurement.high)) == measurement.high
    for outside in (measurement.low - 1, measurement.high + 1, "1e400"):
        with pytest.raises(ValidationError) as refused:
            form_field.clean(str(outside))
        assert refused.value.messages == [measurement.range_message]


def test_every_vital_sign_has_a_threshold_and_a_cdisc_code():
    for m in measurements.VITAL_SIGNS:
        assert m.threshold_setting.endswith("_max")
        assert 1 <= len(m.vstestcd) <= 8 and m.vstestcd.isupper()
        assert len(m.vstest) <= 40
    assert measurements.VITAL_SIGN_NAMES == ("systolic", "diastolic", "pulse", "temperature")


def test_the_study_settings_hold_a_threshold_for_every_vital_sign():
    from sessions_app.models import StudySessionSettings

    names = {f.name for f in StudySessionSettings._meta.get_fields()}
    assert {m.threshold_setting for m in measurements.VITAL_SIGNS} <= names

"""The records of this app a monitor may query (records.queryable), registered at start-up."""

from django.urls import reverse
from django.utils import timezone

from records import queryable
from sessions_app.models import DoseAdministration, Observation, Visit, VitalSignReading


def _time(when) -> str:
    return f"{timezone.localtime(when):%d %b %Y %H:%M}"


def _flowsheet(anchor: str):
    return lambda record: reverse("sessions_app:flowsheet", args=[record.session_id]) + anchor


def _of_session(record) -> str:
    visit = record.session.visit
    return f"{visit.participant.label} {visit.label}"


def register() -> None:
    queryable.register(
        VitalSignReading,
        kind="Vital-sign reading",
        label=lambda r: f"{_of_session(r)}: reading at {_time(r.measured_at)}",
        url=_flowsheet("#readings"),
        correction_url=lambda r: reverse("sessions_app:reading_edit", args=[r.pk]),
        fields={
            "measured_at": "Time measured",
            "systolic": "Systolic",
            "diastolic": "Diastolic",
            "pulse": "Pulse",
            "temperature": "Temperature",
            "suds": "SUDS",
        },
    )
    queryable.register(
        DoseAdministration,
        kind="Dose",
        label=lambda r: f"{_of_session(r)}: {r.get_kind_display().lower()}",
        url=_flowsheet("#doses"),
        correction_url=lambda r: reverse("sessions_app:administration_correct", args=[r.pk]),
        fields={
            "kit_number": "Kit number",
            "dose_mg": "Dose",
            "administered_at": "Time administered",
        },
    )
    queryable.register(
        Observation,
        kind="Observation",
        label=lambda r: (
            f"{_of_session(r)}: {r.get_kind_display().lower()} at {_time(r.observed_at)}"
        ),
        url=_flowsheet("#observations"),
        correction_url=lambda r: reverse("sessions_app:observation_edit", args=[r.pk]),
        fields={"observed_at": "Time", "kind": "Kind", "text": "Text"},
    )
    queryable.register(
        Visit,
        kind="Visit",
        label=lambda r: f"{r.participant.label} {r.label}",
        url=lambda r: reverse("participants:detail", args=[r.participant_id]),
        fields={"held_on": "Day held", "status": "Status"},
    )

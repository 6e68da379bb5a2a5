"""The records of this app a monitor reviews (records.queryable), registered at start-up: the
flowsheet's entries, the dosing session, the visit and the integration notes (their text never
shown through a query or a verification)."""

from django.db.models import Q, QuerySet
from django.utils import timezone

from records import measurements, queryable
from sessions_app.models import (
    DoseAdministration,
    DosingSession,
    IntegrationNote,
    Observation,
    Visit,
    VitalSignReading,
)

ENTRIES = (VitalSignReading, DoseAdministration, Observation)
NOTE_TEXT = frozenset({"themes", "participant_report", "safety_notes", "plan", "free_text"})


def _time(when) -> str:
    return f"{timezone.localtime(when):%d %b %Y %H:%M}"


def _of_visit(visit) -> str:
    return f"{visit.participant.label} {visit.label}"


def _session_parts(session) -> list[QuerySet]:
    """A session's readings, doses and observations."""
    return [model.objects.filter(session=session) for model in ENTRIES]


def _visit_parts(visit) -> list[QuerySet]:
    """A visit's dosing session with its entries (its integration notes are not verified: the
    monitor may not read them)."""
    return [
        DosingSession.objects.filter(visit=visit),
        *(model.objects.filter(session__visit=visit) for model in ENTRIES),
    ]


def _entry(model, *, kind: str, what, anchor: str, correction: str, fields: list) -> None:
    """An entry of a session's flowsheet: `what(entry)` names it after its session."""
    queryable.register(
        model,
        kind=kind,
        label=lambda r: f"{_of_visit(r.session.visit)}: {what(r)}",
        url=queryable.page("sessions_app:flowsheet", of="session_id", anchor=anchor),
        correction_url=queryable.page(correction),
        fields=fields,
        participant_path="session__visit__participant",
        verifiable=Q(voided_at__isnull=True),  # not those struck through as entered in error
    )


def register() -> None:
    _entry(
        VitalSignReading,
        kind="Vital-sign reading",
        what=lambda r: f"reading at {_time(r.measured_at)}",
        anchor="#readings",
        correction="sessions_app:reading_edit",
        fields=[("measured_at", "Time measured"), *measurements.READING_NAMES],
    )
    _entry(
        DoseAdministration,
        kind="Dose",
        what=lambda r: r.get_kind_display().lower(),
        anchor="#doses",
        correction="sessions_app:administration_correct",
        fields=["kit_number", ("dose_mg", "Dose"), ("administered_at", "Time administered")],
    )
    _entry(
        Observation,
        kind="Observation",
        what=lambda r: f"{r.get_kind_display().lower()} at {_time(r.observed_at)}",
        anchor="#observations",
        correction="sessions_app:observation_edit",
        fields=[("observed_at", "Time"), "kind", "text"],
    )
    queryable.register(
        DosingSession,
        kind="Dosing session",
        label=lambda r: f"{_of_visit(r.visit)} session",
        url=queryable.page("sessions_app:flowsheet"),
        correction_url=queryable.page("sessions_app:correct_start"),
        fields=[
            ("started_at", "Started"),
            ("ended_at", "Ended"),
            "pregnancy_test",
            "cssrs_pre_ideation",
            "cssrs_post_ideation",
            "overnight_ready",
        ],
        participant_path="visit__participant",
        verifiable=~Q(status=DosingSession.Status.NOT_STARTED),
        parts=_session_parts,
    )
    queryable.register(
        Visit,
        kind="Visit",
        label=_of_visit,
        url=queryable.page("participants:detail", of="participant_id"),
        fields=[("held_on", "Day held"), "status"],
        verifiable=~Q(status=Visit.Status.SCHEDULED),
        parts=_visit_parts,
    )
    queryable.register(
        IntegrationNote,
        kind="Integration notes",
        label=lambda r: f"{_of_visit(r.visit)} notes",
        url=queryable.page("participants:detail", of="visit.participant_id"),
        correction_url=queryable.page("sessions_app:note_edit", of="visit_id"),
        fields=[("created_at", "Written"), ("updated_at", "Last changed")],
        hidden_fields=NOTE_TEXT,
        participant_path="visit__participant",
        # Confidential therapy notes: queried on their dates, never verified against the
        # source by a monitor who may not read them.
        verifiable=Q(pk__in=[]),
    )

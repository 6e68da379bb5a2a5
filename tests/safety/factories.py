"""Adverse events for tests, made through the services the pages use."""

import datetime

from django.utils import timezone

from safety import services
from safety.models import PROCEDURES, SERIOUSNESS_CRITERIA, AdverseEvent
from tests.accounts.factories import TEST_PASSWORD


def local(value: datetime.datetime | None) -> str:
    """A time as the datetime-local input sends it."""
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M") if value else ""


def complete_values(**overrides) -> dict:
    """Every value a submission answers: a non-serious grade 2 nausea, ended, recovered."""
    now = timezone.now()
    values = {
        "verbatim_term": "Nausea",
        "onset_at": now - datetime.timedelta(hours=3),
        "ended_at": now - datetime.timedelta(hours=1),
        "aware_at": now - datetime.timedelta(hours=2),
        "description": "Began an hour after the dose.",
        "treatment": "Ondansetron 4 mg",
        "severity_grade": AdverseEvent.Grade.MODERATE,
        **{name: False for name, _ in (*SERIOUSNESS_CRITERIA, *PROCEDURES)},
        "causality": AdverseEvent.Causality.PROBABLE,
        "action_taken": AdverseEvent.ActionTaken.NONE,
        "outcome": AdverseEvent.Outcome.RECOVERED,
    }
    values.update(overrides)
    return values


def draft(actor, participant, **values) -> AdverseEvent:
    """A draft with every value answered (`values` overrides them)."""
    return services.adverse_event_draft_create(
        actor=actor, participant=participant, **complete_values(**values)
    )


def submitted(actor, investigator, participant, **values) -> AdverseEvent:
    """A complete draft by `actor`, submitted by `investigator`."""
    ae = draft(actor, participant, **values)
    services.adverse_event_submit(
        actor=investigator,
        adverse_event=ae,
        password=TEST_PASSWORD,
        expected_version=ae.version,
    )
    return AdverseEvent.objects.get(pk=ae.pk)


def form_data(ae: AdverseEvent | None = None, **overrides) -> dict:
    """What the report form posts: the values of `ae` (or complete ones), as typed."""
    values = (
        {name: getattr(ae, name) for name in services.REPORT_FIELDS}
        if ae is not None
        else complete_values(onset_date_only=False, ongoing=False)
    )
    values.update(overrides)
    data = {}
    for name, value in values.items():
        if isinstance(value, datetime.datetime):
            data[name] = local(value)
        elif value is None:
            data[name] = ""
        elif isinstance(value, bool):
            if name in dict((*SERIOUSNESS_CRITERIA, *PROCEDURES)):
                data[name] = str(value)
            elif value:
                data[name] = "on"
        else:
            data[name] = str(value)
    if ae is not None:
        data["version"] = ae.version
    return data


def event_times(started_at: datetime.datetime) -> dict:
    """Onset, awareness and end of an event during a dosing session that started at
    `started_at` (and has ended)."""
    minutes = datetime.timedelta(minutes=1)
    return {
        "onset_at": started_at + 130 * minutes,
        "aware_at": started_at + 140 * minutes,
        "ended_at": started_at + 200 * minutes,
    }

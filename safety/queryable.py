"""The records of this app a monitor reviews (records.queryable), registered at start-up."""

from records import queryable
from safety.models import REPORT_FIELDS, AdverseEvent


def register() -> None:
    queryable.register(
        AdverseEvent,
        kind="Adverse event",
        label=lambda r: f"{r.participant.label} adverse event {r.pk}",
        url=queryable.page("safety:ae_detail"),
        correction_url=queryable.page("safety:ae_edit"),
        fields=list(REPORT_FIELDS),
        # A submitted event is corrected by a follow-up report (applied once signed).
        corrected_through=lambda r: r.reports.filter(number__gt=0),
    )

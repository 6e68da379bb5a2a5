"""The records of this app a monitor reviews (records.queryable), registered at start-up."""

from django.urls import reverse

from records import queryable
from safety.models import AdverseEvent


def register() -> None:
    queryable.register(
        AdverseEvent,
        kind="Adverse event",
        label=lambda r: f"{r.participant.label} adverse event {r.pk}",
        url=lambda r: reverse("safety:ae_detail", args=[r.pk]),
        correction_url=lambda r: reverse("safety:ae_edit", args=[r.pk]),
        fields=["verbatim_term", "onset_at", "description"],
    )

"""The records of this app a monitor reviews (records.queryable), registered at start-up."""

from records import queryable
from screening.eligibility import COUNTED_MEASUREMENTS
from screening.models import ScreeningAttempt


def register() -> None:
    queryable.register(
        ScreeningAttempt,
        kind="Screening",
        label=lambda r: f"{r.participant.screening_number} screening {r.number}",
        url=queryable.page("screening:detail"),
        correction_url=queryable.page("screening:edit"),
        fields=[("screened_on", "Day screened"), *COUNTED_MEASUREMENTS, "pregnancy_test"],
    )

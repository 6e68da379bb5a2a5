"""The records of this app a monitor may query (records.queryable), registered at start-up."""

from django.urls import reverse

from records import queryable
from screening.models import ScreeningAttempt


def register() -> None:
    queryable.register(
        ScreeningAttempt,
        kind="Screening",
        label=lambda r: f"{r.participant.screening_number} screening {r.number}",
        url=lambda r: reverse("screening:detail", args=[r.pk]),
        correction_url=lambda r: reverse("screening:edit", args=[r.pk]),
        fields={
            "screened_on": "Day screened",
            "ptsd_duration_months": "PTSD duration",
            "caps5_total": "CAPS-5 total",
            "systolic_bp": "Systolic",
            "diastolic_bp": "Diastolic",
            "pulse": "Pulse",
            "qtc_ms": "QTc",
            "cssrs_ideation": "C-SSRS ideation",
            "pregnancy_test": "Pregnancy test",
        },
    )

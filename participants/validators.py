"""Checks of a person's identity data, shared by the identity form and screening, and of a
withdrawal, shared by its form and its service."""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone


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


def validate_withdrawal_details(category: str, details: str) -> None:
    """A withdrawal for "other" reasons says what they are."""
    from participants.models import Participant

    if category == Participant.WithdrawalCategory.OTHER and not (details or "").strip():
        raise ValidationError({"details": "Say why the participant is withdrawn."})

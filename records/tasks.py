"""Housekeeping of the shared record layer."""

from celery import shared_task
from django.utils import timezone

from records.submissions import KEPT


@shared_task
def submissions_forget() -> int:
    """Forget the one-time keys of forms sent more than a day ago (scheduled daily); returns how
    many. A resent POST comes within seconds, a page kept open in a tab within the day."""
    from records.models import Submission

    deleted, _ = Submission.objects.filter(created_at__lt=timezone.now() - KEPT).delete()
    return deleted

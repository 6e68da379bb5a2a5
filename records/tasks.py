"""Housekeeping of the shared record layer, and how the apps' email tasks are retried."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.utils import timezone

from records.submissions import KEPT

# How an email task is retried: when sending fails or the soft time limit stops it, eight times
# at most, waiting at most CELERY_RETRY_BACKOFF_MAX (trialsite/settings/base.py).
EMAIL_RETRIES = {
    "autoretry_for": (OSError, SoftTimeLimitExceeded),
    "retry_backoff": True,
    "retry_backoff_max": settings.CELERY_RETRY_BACKOFF_MAX,
    "max_retries": 8,
}


@shared_task
def submissions_forget() -> int:
    """Forget the one-time keys of forms sent more than a day ago (scheduled daily); returns how
    many. A resent POST comes within seconds, a page kept open in a tab within the day."""
    from records.models import Submission

    deleted, _ = Submission.objects.filter(created_at__lt=timezone.now() - KEPT).delete()
    return deleted

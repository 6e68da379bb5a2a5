"""The daily digest of data queries: one email a day to each active user with queries waiting
for them (queries.digest says what it holds).

Celery beat runs `query_digests_send` once a day (CELERY_BEAT_SCHEDULE); it queues one
`query_digest_send` per user who may have queries. That task claims the user's day (a
`QueryDigest` row, unique per user and day) in the transaction that sends the email: a second
worker running the digest at the same time waits for the claim and then skips the user, and a
failed sending rolls the claim back, so that the retry sends it.
"""

import datetime

from celery import shared_task
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.permissions import ROLE_PERMISSIONS
from queries.digest import digest_email, digest_parts
from queries.models import QueryDigest
from queries.selectors import VIEW
from records.tasks import EMAIL_RETRIES

# One user's digest: a few reads and one email (EMAIL_TIMEOUT bounds the mail server's answer).
DIGEST_LIMITS = {"soft_time_limit": 60, "time_limit": 90}
# Queueing every user's digest: one read of the users.
QUEUE_LIMITS = {"soft_time_limit": 120, "time_limit": 180}


def digest_recipients() -> QuerySet[User]:
    """Active users with an email address and an active role that sees queries."""
    roles = [role for role, perms in ROLE_PERMISSIONS.items() if VIEW in perms]
    return (
        User.objects.filter(
            is_active=True, memberships__is_active=True, memberships__role__in=roles
        )
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


@shared_task(**QUEUE_LIMITS)
def query_digests_send() -> int:
    """Queue today's digest of every user who may have queries waiting (scheduled daily);
    returns how many were queued. Today is the date in TIME_ZONE when this runs."""
    day = timezone.localdate().isoformat()
    user_ids = list(digest_recipients().values_list("pk", flat=True))
    for user_id in user_ids:
        query_digest_send.delay(user_id, day)
    return len(user_ids)


@shared_task(**EMAIL_RETRIES, **DIGEST_LIMITS)
def query_digest_send(user_id: int, day: str) -> bool:
    """Email the user the digest of `day` (ISO date) unless it was sent already, the user is
    inactive or nothing waits for them; returns whether it was sent."""
    user = User.objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None:
        return False
    parts = digest_parts(user=user)
    if not parts:
        return False
    on = datetime.date.fromisoformat(day)
    with transaction.atomic():
        _, claimed = QueryDigest.objects.get_or_create(
            recipient=user,
            day=on,
            defaults={"email": user.email, "items": sum(part.count for part in parts)},
        )
        if not claimed:
            return False
        subject, message = digest_email(parts, day=on)
        send_mail(subject=subject, message=message, from_email=None, recipient_list=[user.email])
    return True

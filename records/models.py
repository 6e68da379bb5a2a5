"""One submission writes once: the one-time key every state-changing form carries, and what the
first request with it answered (see `records.submissions`)."""

from django.conf import settings
from django.db import models


class Submission(models.Model):
    """A form's one-time key, claimed by the first request that sent it.

    While that request runs the row is "in flight" (`completed_at` empty); once it has redirected,
    the row keeps where it went and the messages it showed, so a second request with the same key
    (a double click, a resent POST) writes nothing and lands on the same result. A request that
    wrote nothing (a form refused and shown again) gives its key back: the row is deleted.
    """

    key = models.UUIDField(unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    path = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    redirect_to = models.CharField(max_length=2000, blank=True)
    messages = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"{self.key} ({'done' if self.completed_at else 'in flight'})"

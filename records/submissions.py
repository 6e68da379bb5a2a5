"""One submission writes once.

Every state-changing form carries a one-time key (`{% submission_key %}`). The first request
that sends a key claims it by inserting its row, a unique key, outside any transaction: a second
request with the same key, however close behind, cannot insert it again. That second request
writes nothing. It waits for the first to finish and then answers as the first did: the same
redirect and the same messages. So a double click, a resent POST or the back button followed by
"submit" never makes a second record.

A first request that redirects (the form was saved) keeps its row. One that answers anything
else (the form was refused and shown again with its messages) or fails gives the key back, and
the second request is then handled on its own. Keys are forgotten after a day
(records.tasks.submissions_forget).

One window is left: a process that dies after its view committed and before its row is marked
done leaves the key "in flight"; a second request waits, then is told the form is still being
saved, and after ABANDONED the key is taken over and the form can be saved again.
"""

import time
import uuid
from datetime import timedelta

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

FIELD = "submission_key"

# How long a second request waits for the first to finish, polling every POLL seconds.
WAIT = timedelta(seconds=20)
POLL = 0.1
# A claim older than this that never finished belongs to a request that died: it is taken over.
ABANDONED = timedelta(minutes=5)
# Finished keys are kept this long: long enough for any resent POST, then forgotten.
KEPT = timedelta(days=1)

REDIRECTS = {301, 302, 303, 307, 308}


def submitted_key(request: HttpRequest) -> uuid.UUID | None:
    if request.method != "POST" or not request.user.is_authenticated:
        return None
    try:
        return uuid.UUID(request.POST.get(FIELD, ""))
    except ValueError:
        return None


def _claim(key: uuid.UUID, request: HttpRequest):
    """The earlier submission with this key, or None once this request holds the key."""
    from records.models import Submission

    try:
        with transaction.atomic():
            Submission.objects.create(key=key, user=request.user, path=request.path[:500])
    except IntegrityError:
        return Submission.objects.filter(key=key).first() or _claim(key, request)
    return None


def _finished(earlier, request: HttpRequest):
    """The earlier submission once it has finished, None if it gave the key back, or the
    submission still in flight when the wait is over."""
    from records.models import Submission

    deadline = time.monotonic() + WAIT.total_seconds()
    while earlier.completed_at is None:
        if earlier.created_at < timezone.now() - ABANDONED:
            Submission.objects.filter(pk=earlier.pk, completed_at=None).delete()
            return None
        if time.monotonic() > deadline:
            return earlier
        time.sleep(POLL)
        earlier = Submission.objects.filter(pk=earlier.pk).first()
        if earlier is None:
            return None
    return earlier


def _answer_again(earlier, request: HttpRequest) -> HttpResponse:
    if earlier.completed_at is None:
        return render(request, "errors/submission_pending.html", status=409)
    for level, text, tags in earlier.messages:
        messages.add_message(request, level, text, extra_tags=tags)
    return redirect(earlier.redirect_to)


def _complete(key: uuid.UUID, request: HttpRequest, response: HttpResponse) -> None:
    from records.models import Submission

    queued = getattr(getattr(request, "_messages", None), "_queued_messages", [])
    Submission.objects.filter(key=key).update(
        completed_at=timezone.now(),
        redirect_to=response["Location"][:2000],
        messages=[[m.level, str(m.message), m.extra_tags or ""] for m in queued],
    )


def _give_back(key: uuid.UUID) -> None:
    from records.models import Submission

    Submission.objects.filter(key=key, completed_at=None).delete()


class OneSubmissionMiddleware:
    """Answers a POST whose key was sent before with the first answer (see the module)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = submitted_key(request)
        if key is None:
            return self.get_response(request)
        while (earlier := _claim(key, request)) is not None:
            if earlier.user_id != request.user.pk:  # another user's key: never theirs to see
                return render(request, "errors/400.html", status=400)
            earlier = _finished(earlier, request)
            if earlier is not None:
                return _answer_again(earlier, request)
        saved = False
        try:
            response = self.get_response(request)
            saved = response.status_code in REDIRECTS and response.has_header("Location")
            if saved:
                _complete(key, request, response)
            return response
        finally:
            if not saved:
                _give_back(key)

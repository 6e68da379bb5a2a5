"""The daily digest of the queries waiting for one user, as its email says it: for site staff
their sites' open queries, for monitors the answered ones awaiting their review and the open ones
they raised; for each the count and the oldest few, with links.

The email may be read outside the site (a monitor's mailbox): it names each query by its record
label, field, state and waiting time only, never the participant's identity nor the thread's text.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince

from queries import selectors
from queries.models import Query
from records import queryable

# How many of the oldest queries of each part the email lists.
OLDEST = 5


@dataclass(frozen=True)
class Part:
    """One part of a digest: `count` queries in all, the `oldest` of them, and the worklist's
    `state` filter that shows them."""

    title: str
    count: int
    oldest: list[Query]
    state: str


PARTS: tuple[tuple[str, Callable[..., QuerySet[Query]]], ...] = (
    ("Waiting for your site's answer", selectors.site_open_queries),
    ("Answered, waiting for your review", selectors.awaiting_review),
    ("Raised by you, still waiting for the site's answer", selectors.raised_open),
)


def digest_parts(*, user) -> list[Part]:
    """The parts of the user's digest that have a query (none: nothing waits for the user)."""
    parts = []
    for title, selector in PARTS:
        queryset = selector(user=user)
        oldest = list(queryset[:OLDEST])
        if not oldest:
            continue
        count = len(oldest) if len(oldest) < OLDEST else queryset.count()
        parts.append(Part(title, count, oldest, oldest[0].state))
    return parts


def _link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _field(query: Query) -> str:
    if not query.field_name:
        return "the whole record"
    entry = queryable.of_model(query.content_type.model_class())
    return (entry.field_label(query.field_name) if entry else "") or query.field_name


def _line(query: Query, now: datetime.datetime) -> str:
    return (
        f"  - {query.record_label} · {_field(query)} · {query.get_state_display()} · "
        f"waiting {timesince(query.waiting_since, now)}\n"
        f"    {_link(reverse('queries:detail', args=[query.pk]))}"
    )


def digest_email(parts: list[Part], *, day: datetime.date) -> tuple[str, str]:
    """(subject, body) of the digest of `parts`."""
    now = timezone.now()
    total = sum(part.count for part in parts)
    lines = [f"Data queries waiting for you on trialsite, {day:%d %b %Y}.", ""]
    for part in parts:
        shown = "The oldest:" if part.count > len(part.oldest) else "Oldest first:"
        lines.append(f"{part.title}: {part.count}. {shown}")
        lines.extend(_line(query, now) for query in part.oldest)
        lines.append(f"  All of them: {_link(reverse('queries:list'))}?state={part.state}")
        lines.append("")
    lines.append("Open each query on trialsite to read its thread and answer or review it.")
    subject = f"[trialsite] {total} data {'query' if total == 1 else 'queries'} waiting for you"
    return subject, "\n".join(lines) + "\n"

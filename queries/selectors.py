"""Reads of data queries, in the user's scope: the worklists, one query with its thread, and the
open queries of the records of one page (their counts and the markers beside their fields)."""

import operator
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse

from accounts.selectors import user_scope
from queries.models import Query, QueryMessage

VIEW = "queries.view_query"
ANSWER = "queries.answer_query"
# Who may close an answered query reviews it: the monitor (and the study administrator).
REVIEW = "queries.close_query"
OPEN, ANSWERED = Query.State.OPEN, Query.State.ANSWERED
# Waiting for an answer or for review: what the worklists and the markers show.
UNRESOLVED = (OPEN, ANSWERED)


def query_list(*, user) -> QuerySet[Query]:
    """Every query on the records of the user's sites (the study's, for a monitor)."""
    sites = user_scope(user).sites_with(VIEW)
    return Query.objects.filter(participant__site_id__in=sites).select_related(
        "participant__site", "content_type", "opened_by", "closed_by", "answer_read_by"
    )


def worklist(*, user) -> QuerySet[Query]:
    """The monitor's worklist: open and answered queries, longest waiting first, with their
    records (to say whether data changed since a closure, when closed ones are asked for)."""
    return query_list(user=user).prefetch_related("record").order_by("waiting_since", "pk")


def query_get(*, user, pk: int) -> Query:
    """One query in the user's scope, with its thread (404 outside the scope)."""
    messages = QueryMessage.objects.select_related("author", "correction_entry")
    return get_object_or_404(
        query_list(user=user).prefetch_related(Prefetch("messages", queryset=messages)), pk=pk
    )


def _waiting(condition: Q) -> QuerySet[Query]:
    return (
        Query.objects.filter(condition)
        .select_related("participant__site", "content_type")
        .order_by("waiting_since", "pk")
    )


def site_open_queries(*, user) -> QuerySet[Query]:
    """Open queries waiting for an answer from the user's sites, oldest first."""
    return _waiting(Q(participant__site_id__in=user_scope(user).sites_with(ANSWER), state=OPEN))


def awaiting_review(*, user) -> QuerySet[Query]:
    """Answered queries waiting for the user's review (the monitor's), oldest first."""
    return _waiting(Q(participant__site_id__in=user_scope(user).sites_with(REVIEW), state=ANSWERED))


def raised_open(*, user) -> QuerySet[Query]:
    """Queries the user raised that still wait for the site's answer, oldest first."""
    sites = user_scope(user).sites_with(VIEW)
    return _waiting(Q(participant__site_id__in=sites, state=OPEN, opened_by=user))


@dataclass(frozen=True)
class Waiting:
    """The queries waiting for one user: open ones for their sites' answer, answered ones for
    their review; `url`, the worklist showing them."""

    condition: Q
    url: str

    def count(self) -> int:
        return Query.objects.filter(self.condition).count()


def waiting_for(*, user) -> Waiting | None:
    """What waits for the user, or None when their roles have no query to answer or review."""
    scope = user_scope(user)
    wanted = {
        state: sites
        for state, sites in ((OPEN, scope.sites_with(ANSWER)), (ANSWERED, scope.sites_with(REVIEW)))
        if sites
    }
    if not wanted:
        return None
    condition = reduce(
        operator.or_,
        (Q(participant__site_id__in=sites, state=state) for state, sites in wanted.items()),
    )
    state = f"?state={next(iter(wanted))}" if len(wanted) == 1 else ""
    return Waiting(condition, reverse("queries:list") + state)


def state_counts(*, user) -> dict[str, int]:
    """{state: number} of the queries in the user's scope."""
    rows = query_list(user=user).order_by().values("state").annotate(n=Count("pk"))
    return {row["state"]: row["n"] for row in rows}


def participant_open_count(*, participant) -> int:
    return Query.objects.filter(participant=participant, state__in=UNRESOLVED).count()


class Markers:
    """The unresolved queries on a page's records, found in one read: how many, and the query
    beside each field queried (the oldest, if several)."""

    def __init__(self, queries: Iterable[Query]):
        self.queries = list(queries)
        self._by_field: dict[tuple[int, int, str], Query] = {}
        self._by_record: dict[tuple[int, int], list[Query]] = defaultdict(list)
        for query in self.queries:
            key = (query.content_type_id, query.object_id)
            self._by_record[key].append(query)
            self._by_field.setdefault((*key, query.field_name), query)

    @property
    def count(self) -> int:
        return len(self.queries)

    @staticmethod
    def _key(record) -> tuple[int, int]:
        return ContentType.objects.get_for_model(record).pk, record.pk

    def on_field(self, record, field_name: str = "") -> Query | None:
        return self._by_field.get((*self._key(record), field_name))

    def on_record(self, record) -> list[Query]:
        return self._by_record.get(self._key(record), [])


def markers_for(*, records: Iterable) -> Markers:
    """The unresolved queries on `records` (of any kinds), in one query per page."""
    wanted: dict[int, set[int]] = defaultdict(set)
    for record in records:
        wanted[ContentType.objects.get_for_model(record).pk].add(record.pk)
    if not wanted:
        return Markers([])
    condition = None

    for content_type_id, pks in wanted.items():
        part = Q(content_type_id=content_type_id, object_id__in=pks)
        condition = part if condition is None else condition | part
    return Markers(
        Query.objects.filter(condition, state__in=UNRESOLVED).order_by("waiting_since", "pk")
    )

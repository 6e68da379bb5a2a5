"""Reads of data queries, in the user's scope: the worklists, one query with its thread, and the
open queries of the records of one page (their counts and the markers beside their fields)."""

from collections import defaultdict
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.selectors import user_scope
from queries.models import Query, QueryMessage

VIEW = "queries.view_query"
# Waiting for an answer or for review: what the worklists and the markers show.
UNRESOLVED = (Query.State.OPEN, Query.State.ANSWERED)


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


def site_open_queries(*, user) -> QuerySet[Query]:
    """Open queries waiting for an answer from the user's sites, oldest first."""
    sites = user_scope(user).sites_with("queries.answer_query")
    return (
        Query.objects.filter(participant__site_id__in=sites, state=Query.State.OPEN)
        .select_related("participant__site", "content_type")
        .order_by("waiting_since", "pk")
    )


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

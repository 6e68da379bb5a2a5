"""Reads of data queries and source-data verification, in the user's scope.

Queries: the worklists, one query with its thread, and the open queries of the records of one
page (their counts and the markers beside their fields). Verification: the marks of a page's
records (verified, or changed since, and what changed), and the progress figures per site and
per participant, counted in the database (a few queries per kind of record, however many).
"""

import datetime
import operator
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import reduce

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django.urls import reverse

from accounts.permissions import SDV_PROGRESS
from accounts.selectors import site_list, user_scope
from audit.models import LogEntry
from participants.models import Participant
from queries.models import Query, QueryMessage, SourceVerification
from records import queryable

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

    def on_field(self, record, field_name: str = "") -> Query | None:
        return self._by_field.get((*_key(record), field_name))

    def on_record(self, record) -> list[Query]:
        return self._by_record.get(_key(record), [])


def _key(record) -> tuple[int, int]:
    return ContentType.objects.get_for_model(record).pk, record.pk


def _of_records(records: Iterable, id_field: str = "object_id") -> Q | None:
    """The rows about `records` (of any kinds), by content type and id; None for no record."""
    wanted: dict[int, set] = defaultdict(set)
    for record in records:
        content_type_id, pk = _key(record)
        wanted[content_type_id].add(pk if id_field == "object_id" else str(pk))
    condition = None
    for content_type_id, pks in wanted.items():
        part = Q(content_type_id=content_type_id, **{f"{id_field}__in": pks})
        condition = part if condition is None else condition | part
    return condition


def markers_for(*, records: Iterable) -> Markers:
    """The unresolved queries on `records` (of any kinds), in one query per page."""
    condition = _of_records(records)
    if condition is None:
        return Markers([])
    return Markers(
        Query.objects.filter(condition, state__in=UNRESOLVED).order_by("waiting_since", "pk")
    )


# Source-data verification.

SDV_RECORDS = "queries.view_sdv_records"
VERIFY = "queries.verify_source"
# What a change of nothing but the version is (a session saved again when one of its entries
# changed after its end, voiding its signature).
SAVED_AGAIN = "saved again (no field of its own changed)"


@dataclass(frozen=True)
class Change:
    """One change of a record after its verification, from the audit trail."""

    fields: list[str]
    by: str
    at: datetime.datetime

    @property
    def summary(self) -> str:
        return ", ".join(self.fields) if self.fields else SAVED_AGAIN


class Verifications:
    """The newest verification mark of each of a page's records, and for those changed since,
    the changes (found in two reads)."""

    def __init__(self, records: Iterable, marks: Iterable[SourceVerification]):
        self.records = {_key(record): record for record in records}
        self._newest: dict[tuple[int, int], SourceVerification] = {}
        for mark in marks:  # oldest version first: the newest is kept
            self._newest[(mark.content_type_id, mark.object_id)] = mark
        self._changes: dict[tuple[int, int], list[Change]] = defaultdict(list)
        cleared = [self.records[key] for key in self._newest if self.is_cleared(self.records[key])]
        condition = _of_records(cleared, id_field="object_pk")
        if condition is None:
            return
        since = min(self._newest[_key(record)].verified_at for record in cleared)
        entries = (
            LogEntry.objects.filter(condition, timestamp__gt=since)
            .exclude(action=LogEntry.Action.CREATE)
            .select_related("actor")
            .order_by("seq")
        )
        for log in entries:
            key = (log.content_type_id, int(log.object_pk))
            if log.timestamp <= self._newest[key].verified_at:
                continue
            entry = queryable.of_record(self.records[key])
            names = [name for name in (log.changes_dict or {}) if name != "version"]
            self._changes[key].append(
                Change(
                    fields=[entry.changed_label(name) for name in names],
                    by=log.actor.printed_name if log.actor else "the system",
                    at=log.timestamp,
                )
            )

    def mark(self, record) -> SourceVerification | None:
        return self._newest.get(_key(record))

    def is_verified(self, record) -> bool:
        mark = self.mark(record)
        return mark is not None and mark.record_version == record.version

    def is_cleared(self, record) -> bool:
        """Verified once, and changed since (a newer version than the newest mark's)."""
        mark = self.mark(record)
        return mark is not None and mark.record_version != record.version

    def changes(self, record) -> list[Change]:
        return self._changes.get(_key(record), [])


def sdv_marks_for(*, records: Iterable) -> Verifications:
    """The verification state of `records` (of any kinds), in one read (two where some changed
    since their verification)."""
    records = list(records)
    condition = _of_records(records)
    marks = (
        SourceVerification.objects.filter(condition)
        .select_related("verified_by")
        .order_by("record_version")
        if condition is not None
        else []
    )
    return Verifications(records, marks)


def sdv_page(*, user, about, records: Iterable) -> Verifications | None:
    """The verification state of a page's records, for a user who may see it at the site of
    `about` (the page's record); None for anyone else."""
    if not user.has_perm(SDV_RECORDS, about):
        return None
    return sdv_marks_for(records=records)


@dataclass
class Tally:
    """How many records there are to verify, how many are verified at their current version,
    and how many were verified but changed since."""

    total: int = 0
    verified: int = 0
    cleared: int = 0
    of: object = field(default=None, compare=False)

    def add(self, row: dict) -> None:
        self.total += row["total"]
        self.verified += row["verified"]
        self.cleared += row["cleared"]

    @property
    def outstanding(self) -> int:
        return self.total - self.verified

    @property
    def percent(self) -> int:
        """Verified, in whole per cent (rounded down: 100 only when all are); 100 of nothing."""
        return 100 * self.verified // self.total if self.total else 100


def _tallied(records: QuerySet, entry: queryable.Queryable, group: str) -> QuerySet:
    """{group, total, verified, cleared} rows of `records` of one kind, by `group`."""
    newest = SourceVerification.objects.filter(
        content_type=ContentType.objects.get_for_model(entry.model), object_id=OuterRef("pk")
    ).order_by("-record_version")
    marked = records.alias(newest_mark=Subquery(newest.values("record_version")[:1]))
    return (
        marked.order_by()
        .values(group)
        .annotate(
            total=Count("pk"),
            verified=Count("pk", filter=Q(newest_mark=F("version"))),
            cleared=Count("pk", filter=Q(newest_mark__isnull=False) & ~Q(newest_mark=F("version"))),
        )
    )


def _tallies(of, by: str) -> dict[int, Tally]:
    """{id: Tally} over every kind of record registered: `of(entry)` the records of the kind,
    `by` what they are counted by ("participant" or "site", from the record's participant)."""
    tallies: dict[int, Tally] = defaultdict(Tally)
    for entry in queryable.registered():
        group = entry.participant_path + ("__site" if by == "site" else "")
        for row in _tallied(of(entry), entry, group):
            tallies[row[group]].add(row)
    return tallies


def sdv_scope(*, user) -> frozenset[int]:
    """The sites whose verification figures the user may see."""
    return user_scope(user).sites_with(SDV_PROGRESS)


def sdv_participants(*, user, site=None) -> QuerySet[Participant]:
    """The participants whose figures the user may see (of `site`, if given), in site order."""
    participants = Participant.objects.filter(site_id__in=sdv_scope(user=user))
    if site is not None:
        participants = participants.filter(site=site)
    return participants.select_related("site").order_by("site__number", "study_code", "pk")


def sdv_site_progress(*, user, site=None) -> list[Tally]:
    """Per site in the user's scope (or `site` alone): its records' verification figures."""
    sites = site_list(user, SDV_PROGRESS).order_by("study__code", "number")
    if site is not None:
        sites = sites.filter(pk=site.pk)
    sites = list(sites)
    tallies = _tallies(lambda entry: entry.of_sites([s.pk for s in sites]), by="site")
    return [replace(tallies[s.pk], of=s) for s in sites]


def sdv_participant_progress(*, participants: Iterable[Participant]) -> list[Tally]:
    """Per participant: their records' verification figures, in the order given."""
    participants = list(participants)
    tallies = _tallies(
        lambda entry: entry.of_participants([p.pk for p in participants]), by="participant"
    )
    return [replace(tallies[p.pk], of=p) for p in participants]


def sdv_outstanding(*, participant: Participant) -> int:
    """How many of the participant's records are not verified at their current version (0 when
    their study does not require source-data verification): what a casebook's signature waits
    for."""
    if not participant.site.study.sdv_required:
        return 0
    (tally,) = sdv_participant_progress(participants=[participant])
    return tally.outstanding


@dataclass(frozen=True)
class SdvRow:
    """A record to verify, of its registered kind."""

    entry: queryable.Queryable
    record: object

    @property
    def label(self) -> str:
        return self.entry.label(self.record)

    @property
    def url(self) -> str:
        return self.entry.url(self.record)

    @property
    def has_parts(self) -> bool:
        return self.entry.parts is not None


def sdv_records(*, participant: Participant) -> list[SdvRow]:
    """Every record of the participant there is to verify, kind by kind (one read per kind);
    `sdv_marks_for` says the state of those a page shows."""
    return [
        SdvRow(entry, record)
        for entry in queryable.registered()
        for record in entry.of_participants([participant.pk]).order_by("pk")
    ]

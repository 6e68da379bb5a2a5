"""Raising, answering, closing and reopening a data query; marking records verified against the
source.

Monitors (and the study administrator) raise and close; the record's site staff answer, and may
answer with a correction made through the record's own correction page (its reason, its voided
signature), which the answer links to by its audit entry. Each service locks the query's row,
so that of two monitors closing a query at once one closes it and the other is told.

A monitor marks a record verified at its current version, or a visit or a dosing session with
every record that belongs to it at once (records.queryable's `parts`); the records' rows are
locked, so that a record verified twice at once is marked once.
"""

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format

from audit.context import records_actor
from audit.models import LogEntry
from participants.casebook import casebook_refuse_locked
from queries.models import Query, QueryMessage, SourceVerification, field_digest
from queries.selectors import VERIFY, sdv_marks_for
from records import queryable
from records.edits import StepRefused

RAISE = "queries.add_query"
ANSWER = "queries.answer_query"
CLOSE = "queries.close_query"
CLOSE_UNANSWERED = "queries.close_unanswered_query"
REOPEN = "queries.reopen_query"

TEXT_REQUIRED = {
    "question": "Write the question for the site.",
    "answer": "Write your answer to the query.",
    "reopen": "Say why the query is reopened.",
}
NO_CORRECTION = (
    "You have not corrected this record since the query was raised: correct it on its "
    "correction page first (with the reason), then answer."
)
NOT_QUERYABLE = "This kind of record cannot be queried."
ANSWER_UNREAD = "A monitor has not read the site's answer yet: only a monitor closes it now."


def _text(text: str, kind: str) -> str:
    if not text.strip():
        raise ValidationError({"text": TEXT_REQUIRED[kind]})
    return text.strip()


def _lock(query: Query) -> Query:
    """The query as it is now, its row locked. Nothing is joined: a row read again after waiting
    for the lock would come with its joined rows as they were before the wait."""
    return Query.objects.select_for_update().get(pk=query.pk)


def _closed_message(query: Query) -> str:
    when = date_format(timezone.localtime(query.closed_at), "d M Y H:i")
    return (
        f"This query was closed meanwhile by {query.closed_by.printed_name} at {when}: "
        "nothing was changed."
    )


def _message(query: Query, *, actor, kind: str, text: str = "", **fields) -> QueryMessage:
    message = QueryMessage(query=query, author=actor, kind=kind, text=text, **fields)
    message.full_clean()
    message.save()
    return message


@records_actor
def query_raise(*, actor, record, field_name: str = "", text: str) -> Query:
    """A new open query on `record` (and its field `field_name`, if named), with its question."""
    entry = queryable.of_record(record)
    if entry is None:
        raise StepRefused(NOT_QUERYABLE)
    if not actor.has_perm(RAISE, record):
        raise PermissionDenied("Your role does not include raising queries on this record.")
    # A locked casebook's record is not queried: the study administrator unlocks it first.
    casebook_refuse_locked(record.participant.pk)
    if field_name and field_name not in entry.fields:
        raise ValidationError({"field_name": queryable.FIELD_NOT_QUERYABLE})
    text = _text(text, "question")
    now = timezone.now()
    with transaction.atomic():
        query = Query(
            content_type=ContentType.objects.get_for_model(record),
            object_id=record.pk,
            field_name=field_name,
            participant=record.participant,
            record_label=entry.label(record)[:200],
            opened_by=actor,
            opened_at=now,
            waiting_since=now,
        )
        query.full_clean()
        query.save()
        _message(query, actor=actor, kind=QueryMessage.Kind.QUESTION, text=text)
    return query


def _correction_entry(query: Query, actor) -> LogEntry | None:
    """The actor's newest change of the query's record since the query last waited for them, or
    of a record its kind is corrected through (an adverse event's follow-up report)."""
    changes = Q(content_type_id=query.content_type_id, object_pk=str(query.object_id))
    entry, record = query.entry, query.record
    if entry is not None and entry.corrected_through is not None and record is not None:
        related = entry.corrected_through(record)
        changes |= Q(
            content_type=ContentType.objects.get_for_model(related.model),
            object_pk__in=[str(pk) for pk in related.values_list("pk", flat=True)],
        )
    return (
        LogEntry.objects.filter(
            changes,
            action__in=[LogEntry.Action.CREATE, LogEntry.Action.UPDATE],
            actor=actor,
            timestamp__gte=query.waiting_since,
        )
        .order_by("-seq")
        .first()
    )


@records_actor
def query_answer(*, actor, query: Query, text: str, corrected: bool = False) -> Query:
    """The site's answer to an open query; `corrected`: the record was corrected for it (through
    its own correction page, before answering)."""
    if not actor.has_perm(ANSWER, query):
        raise PermissionDenied("Your role does not include answering queries at this site.")
    text = _text(text, "answer")
    with transaction.atomic():
        query = _lock(query)
        if query.state == Query.State.CLOSED:
            raise StepRefused(_closed_message(query))
        if query.state != Query.State.OPEN:
            raise StepRefused("This query was answered meanwhile: read the answer below.")
        entry = None
        if corrected:
            entry = _correction_entry(query, actor)
            if entry is None:
                raise ValidationError({"corrected": NO_CORRECTION})
        _message(
            query,
            actor=actor,
            kind=QueryMessage.Kind.ANSWER,
            text=text,
            corrected=corrected,
            correction_entry=entry,
        )
        query.state = Query.State.ANSWERED
        query.waiting_since = timezone.now()
        query.answer_read_at = query.answer_read_by = None
        query.full_clean()
        query.save()
    return query


@records_actor
def query_close(*, actor, query: Query, text: str = "") -> Query:
    """Close an answered query (or, for a monitor, an open one), with an optional note."""
    if not actor.has_perm(CLOSE, query):
        raise PermissionDenied("Your role does not include closing queries.")
    with transaction.atomic():
        query = _lock(query)
        if query.state == Query.State.CLOSED:
            raise StepRefused(_closed_message(query))
        if not actor.has_perm(CLOSE_UNANSWERED, query):
            if query.state == Query.State.OPEN:
                raise StepRefused("This query has no answer yet: only a monitor closes it now.")
            if query.answer_unread:
                raise StepRefused(ANSWER_UNREAD)
        record = query.record
        now = timezone.now()
        _message(query, actor=actor, kind=QueryMessage.Kind.CLOSE, text=text.strip())
        query.state = Query.State.CLOSED
        query.closed_by = actor
        query.closed_at = now
        query.waiting_since = now
        query.record_version_at_close = getattr(record, "version", None)
        if query.field_name and record is not None:
            query.field_digest_at_close = field_digest(record, query.field_name)
        query.full_clean()
        query.save()
    return query


@records_actor
def query_answer_read(*, actor, query: Query) -> Query:
    """A monitor has read the site's newest answer (by opening the query's page): from then on
    the study administrator may close the query too. Written once per answer, audited."""
    if not actor.has_perm(CLOSE_UNANSWERED, query):
        return query
    with transaction.atomic():
        query = _lock(query)
        if query.answer_unread:
            query.answer_read_at = timezone.now()
            query.answer_read_by = actor
            query.save()
    return query


@records_actor
def query_reopen(*, actor, query: Query, text: str) -> Query:
    """Back to the site: an answer that does not settle it, or data changed after closure."""
    if not actor.has_perm(REOPEN, query):
        raise PermissionDenied("Your role does not include reopening queries.")
    text = _text(text, "reopen")
    with transaction.atomic():
        query = _lock(query)
        if query.state == Query.State.OPEN:
            raise StepRefused("This query is open already.")
        _message(query, actor=actor, kind=QueryMessage.Kind.REOPEN, text=text)
        query.state = Query.State.OPEN
        query.closed_by = None
        query.closed_at = None
        query.record_version_at_close = None
        query.field_digest_at_close = ""
        query.waiting_since = timezone.now()
        query.full_clean()
        query.save()
    return query


ALREADY_VERIFIED = "Already verified at its current version: no second mark was made."
NOTHING_TO_VERIFY = (
    "Nothing here to verify yet: not held or not started, or struck through as entered in error."
)
NOT_VERIFIABLE = "This kind of record is not verified against the source."
NO_PARTS = "This record has no records of its own to verify with it."
VERIFY_REFUSED = "Your role does not include source-data verification."


@dataclass(frozen=True)
class Verified:
    """What one verification did: records marked, records verified already (not marked again),
    records skipped (struck through as entered in error, or not yet held or started)."""

    marked: int = 0
    already: int = 0
    skipped: int = 0

    def __add__(self, other: "Verified") -> "Verified":
        return Verified(
            self.marked + other.marked, self.already + other.already, self.skipped + other.skipped
        )


def _verify_rows(*, actor, queryset) -> Verified:
    """Mark the records of `queryset` (of one kind) not verified at their current version; their
    rows are locked first (not the rows joined), and their marks read after."""
    entry = queryable.of_model(queryset.model)
    if entry is None:
        return Verified()
    records = list(entry.to_verify(queryset).select_for_update(of=("self",)).order_by("pk"))
    # Once locked, nothing changes them before the marks: a change is one after `now`.
    now = timezone.now()
    skipped = queryset.count() - len(records)
    marks = sdv_marks_for(records=records)
    content_type = ContentType.objects.get_for_model(entry.model)
    marked = 0
    for record in records:
        if marks.is_verified(record):
            continue
        mark = SourceVerification(
            content_type=content_type,
            object_id=record.pk,
            participant=record.participant,
            record_version=record.version,
            verified_by=actor,
            verified_at=now,
        )
        mark.full_clean()
        mark.save()
        marked += 1
    return Verified(marked=marked, already=len(records) - marked, skipped=skipped)


@records_actor
def source_verify(*, actor, record, with_parts: bool = False) -> Verified:
    """Mark `record` verified against the source at its current version; `with_parts`: with
    every record that belongs to it (a visit's session and entries, a session's entries), at
    once. A record verified at its current version already is not marked again; one struck
    through as entered in error is skipped. Refused when nothing was marked."""
    entry = queryable.of_record(record)
    if entry is None:
        raise StepRefused(NOT_VERIFIABLE)
    if not actor.has_perm(VERIFY, record):
        raise PermissionDenied(VERIFY_REFUSED)
    if with_parts and entry.parts is None:
        raise StepRefused(NO_PARTS)
    querysets = [type(record).objects.filter(pk=record.pk)]
    if with_parts:
        querysets += entry.parts(record)
    with transaction.atomic():
        done = Verified()
        for queryset in querysets:
            done += _verify_rows(actor=actor, queryset=queryset)
        if not done.marked:
            raise StepRefused(ALREADY_VERIFIED if done.already else NOTHING_TO_VERIFY)
    return done

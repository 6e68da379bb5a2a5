"""Data queries and source-data verification: a monitor's question about one clinical record (and
optionally one of its fields), its thread of messages, and its state; and the monitor's marks of
records verified against the source.

A query or a mark is attached to any record registered in records.queryable, through its content
type and id; the record's participant is kept with it, so that scope and filters are one join
away. Messages and marks are never edited or deleted. Audited (registered at the bottom).
"""

import datetime
import hashlib

from auditlog.registry import auditlog
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import capfirst

from audit.models import Immutable, LogEntry, VersionedModel
from participants.models import Participant
from records import queryable
from records.fields import user_field

MESSAGE_IMMUTABLE = "A query's message is never changed or deleted."
MARK_IMMUTABLE = "A verification mark is never changed or deleted: verify again for a new one."


def field_digest(record, name: str) -> str:
    """A SHA-256 digest of the field's stored value (times as UTC instants, whatever the zone
    of the page), to tell whether it changed without keeping it."""
    value = getattr(record, name, None)
    if isinstance(value, datetime.datetime):
        value = value.astimezone(datetime.UTC).isoformat()
    return hashlib.sha256(repr(value).encode()).hexdigest()


class Query(VersionedModel):
    class State(models.TextChoices):
        OPEN = "open", "Open"
        ANSWERED = "answered", "Answered"
        CLOSED = "closed", "Closed"

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    field_name = models.CharField("field", max_length=64, blank=True)
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="queries")
    # Which record, as it was named when the query was raised (no identity).
    record_label = models.CharField(max_length=200)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    opened_by = user_field()
    opened_at = models.DateTimeField(default=timezone.now)
    # Since when the query waits for its counterpart: the site (open) or the monitor (answered).
    waiting_since = models.DateTimeField(default=timezone.now)
    closed_by = user_field(optional=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # When a monitor first read the site's newest answer (None while it is unread): until then
    # only a monitor may close an answered query.
    answer_read_at = models.DateTimeField(null=True, blank=True)
    answer_read_by = user_field(optional=True)
    # The record's version when the query was closed: a later one means "data changed since".
    record_version_at_close = models.PositiveIntegerField(null=True, blank=True)
    # For a query on one field: a digest of that field's value when the query was closed (not
    # the value: the query keeps no copy of the record's data). A change of another field of the
    # record does not make the query "data changed since".
    field_digest_at_close = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name_plural = "queries"
        ordering = ["waiting_since", "pk"]
        permissions = [
            ("answer_query", "Can answer queries (site staff)"),
            ("close_query", "Can close answered queries"),
            ("close_unanswered_query", "Can close a query not yet answered (monitor)"),
            ("reopen_query", "Can reopen queries (monitor)"),
        ]
        indexes = [
            models.Index(fields=["state", "waiting_since"], name="query_state_waiting"),
            models.Index(fields=["content_type", "object_id"], name="query_record"),
            # The worklist's order among the unresolved queries (open or answered), at scale.
            models.Index(
                fields=["waiting_since", "id"],
                condition=Q(state__in=["open", "answered"]),
                name="query_unresolved_waiting",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(state="closed") & Q(closed_at__isnull=False))
                | (~Q(state="closed") & Q(closed_at__isnull=True)),
                name="query_closed_has_time",
                violation_error_message="A closed query has its closing time, an open one none.",
            ),
        ]

    def __str__(self) -> str:
        field = f" ({self.field_name})" if self.field_name else ""
        return f"Query {self.pk} on {self.record_label}{field}"

    @property
    def site(self):
        return self.participant.site

    @property
    def is_closed(self) -> bool:
        return self.state == self.State.CLOSED

    def data_changed_since(self, record=None) -> bool:
        """Closed, and what it asked about has changed since: the queried field's value (its
        digest differs from the one at closure), or for a query on the whole record any change
        of it (its version is newer than at closure)."""
        if not self.is_closed or self.record_version_at_close is None:
            return False
        record = record if record is not None else self.record
        if record is None:
            return False
        if self.field_name and self.field_digest_at_close:
            return field_digest(record, self.field_name) != self.field_digest_at_close
        return record.version != self.record_version_at_close

    @property
    def entry(self) -> queryable.Queryable | None:
        """What the registry knows of the queried record's kind (None for one no longer in it)."""
        return queryable.of_label(f"{self.content_type.app_label}.{self.content_type.model}")

    @property
    def kind(self) -> str:
        """The kind of record, as the registry names it ("Vital-sign reading")."""
        entry = self.entry
        return entry.kind if entry else capfirst(self.content_type.name)

    @property
    def field_label(self) -> str:
        """The field queried, as the record's pages name it ("" for the whole record)."""
        if not self.field_name:
            return ""
        entry = self.entry
        return (entry.field_label(self.field_name) if entry else "") or self.field_name

    @property
    def answer_unread(self) -> bool:
        return self.state == self.State.ANSWERED and self.answer_read_at is None

    @property
    def state_label(self) -> str:
        if self.data_changed_since():
            return "Closed, data changed since"
        return self.get_state_display()


class QueryMessage(Immutable):
    """One message of a query's thread: never changed, never deleted."""

    immutable_message = MESSAGE_IMMUTABLE

    class Kind(models.TextChoices):
        QUESTION = "question", "Question"
        ANSWER = "answer", "Answer"
        REOPEN = "reopen", "Reopened"
        CLOSE = "close", "Closed"

    query = models.ForeignKey(Query, on_delete=models.PROTECT, related_name="messages")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    author = user_field()
    written_at = models.DateTimeField(default=timezone.now)
    text = models.TextField(max_length=4000, blank=True)
    # An answer made with a correction of the record (through the record's own correction page):
    # the audit entry of that correction (without a database constraint: no table references the
    # audit trail's, so that its own guards, TRUNCATE's among them, answer for it).
    corrected = models.BooleanField("answered with a correction", default=False)
    correction_entry = models.ForeignKey(
        LogEntry,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["written_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="close") | ~Q(text=""),
                name="query_message_has_text",
                violation_error_message="A question, an answer or a reopening needs its text.",
            ),
            models.CheckConstraint(
                condition=Q(corrected=False) | Q(kind="answer"),
                name="query_message_correction_is_an_answer",
                violation_error_message="Only an answer is made with a correction.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on query {self.query_id}"

    @property
    def participant(self) -> Participant:
        return self.query.participant


class SourceVerification(Immutable):
    """A monitor's mark: the record, at its `record_version`, was verified against the source.

    The record is verified while its newest mark's version is its current version; a change
    after the mark (a newer version) clears it: "changed since verification". Verifying again
    makes a new mark; none is ever changed or deleted.
    """

    immutable_message = MARK_IMMUTABLE
    # A review of the data, not a change of it: refused on a locked casebook, but a signed one
    # stays signed (participants.casebook).
    casebook_review = True

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="source_verifications"
    )
    record_version = models.PositiveIntegerField("version verified")
    verified_by = user_field()
    verified_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["verified_at", "pk"]
        permissions = [
            ("verify_source", "Can mark records verified against the source (monitor)"),
            ("view_sdv_records", "Can see which records are verified, not only the counts"),
        ]
        indexes = [models.Index(fields=["content_type", "object_id"], name="sdv_record")]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "record_version"],
                name="sdv_once_per_version",
                violation_error_message="This record is verified at this version already.",
            ),
        ]

    def __str__(self) -> str:
        return f"Verified {self.content_type_id}/{self.object_id} v{self.record_version}"


class QueryDigest(models.Model):
    """That one user was emailed the day's digest of the queries waiting for them: claimed (this
    row inserted) in the transaction that sends it, so that it goes once a day per user however
    many workers run the digest; a failed sending rolls the claim back and the retry sends it.

    Not clinical (it holds counts only) and so not audited: sending holds no lock on the audit
    trail's chain."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    email = models.EmailField()
    items = models.PositiveIntegerField("queries in the digest")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recipient", "day"], name="query_digest_once_a_day")
        ]

    def __str__(self) -> str:
        return f"Query digest of {self.day} to {self.email}"


auditlog.register(Query)
auditlog.register(QueryMessage)
auditlog.register(SourceVerification)

"""The audit trail: django-auditlog's entries, kept append-only and hash-chained.

Each entry stores the hash of the one before it and a keyed hash (HMAC, audit/keys.py) of its own
content. Database triggers (see the migrations) refuse UPDATE, DELETE, TRUNCATE and an insert that
would replace an entry; `manage.py verify_audit` recomputes the chain with the key, so that
anything done behind the application's back is detected.
"""

import hashlib
import hmac
import ipaddress
import json

from auditlog.context import auditlog_value
from auditlog.models import AbstractLogEntry
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models, router, transaction
from django.db.models.signals import pre_save

from audit.context import current_actor, current_reason
from audit.keys import chain_keys, current_key

GENESIS_HASH = "0" * 64
# Key of the PostgreSQL advisory lock that serialises appends to the chain.
CHAIN_LOCK_KEY = 0x7A75D17


def chain_lock(using: str = "default") -> None:
    """Wait for, and hold until the transaction ends, the lock that serialises appends to the
    chain (PostgreSQL; elsewhere a transaction writes alone already). Every audited write takes
    it with its first entry; a service that row-locks a record that others lock after writing
    an entry takes it first, so that both take the two locks in one order."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    # Taken once a transaction: the lock is held until the transaction ends, or until the
    # savepoint it was taken in is rolled back. Django replaces the connection's list of commit
    # hooks on each of these (commit, rollback, savepoint rollback), so while that list is the
    # one seen when the lock was taken, the lock is still held (a released savepoint passes its
    # locks, and keeps the list, to the enclosing transaction).
    if connection.in_atomic_block and getattr(connection, "_chain_locked", None) is (
        connection.run_on_commit
    ):
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
    connection._chain_locked = connection.run_on_commit if connection.in_atomic_block else None


class AuditBypassError(RuntimeError):
    """Raised when code tries a bulk write that would not be audited."""


class AuditImmutableError(RuntimeError):
    """Raised when code tries to change or delete an audit entry."""


class UnknownAuditKey(LookupError):
    """An entry names a key this server does not hold."""


class AuditedQuerySet(models.QuerySet):
    """Queryset of clinical models: bulk writes would skip the audit trail, so they are refused."""

    def _refuse(self, operation: str):
        raise AuditBypassError(
            f"{self.model._meta.label}: {operation} would bypass the audit trail. "
            "Save each record through its service instead."
        )

    def update(self, **kwargs):
        self._refuse("QuerySet.update()")

    def bulk_create(self, *args, **kwargs):
        self._refuse("bulk_create()")

    def bulk_update(self, *args, **kwargs):
        self._refuse("bulk_update()")

    async def aupdate(self, **kwargs):
        self._refuse("QuerySet.aupdate()")

    async def abulk_create(self, *args, **kwargs):
        self._refuse("abulk_create()")

    async def abulk_update(self, *args, **kwargs):
        self._refuse("abulk_update()")


class AuditedModel(models.Model):
    """Base of every clinical model: its default manager refuses unaudited bulk writes."""

    objects = AuditedQuerySet.as_manager()

    class Meta:
        abstract = True


class ImmutableQuerySet(AuditedQuerySet):
    """Rows written once: a queryset's delete is refused as the instance's is."""

    def delete(self):
        raise RuntimeError(self.model.immutable_message)

    async def adelete(self):
        raise RuntimeError(self.model.immutable_message)


class Immutable(AuditedModel):
    """A row written once: never changed, never deleted."""

    immutable_message = ""
    objects = ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError(self.immutable_message)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError(self.immutable_message)


class VersionedModel(AuditedModel):
    """A clinical record edited through forms: `version` detects concurrent edits."""

    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        """Every save of an existing record is a new version (see audit.services.versioned_save)."""
        if not self._state.adding:
            self.version += 1
        super().save(*args, **kwargs)


def _normalise_numbers(value):
    """Numbers as PostgreSQL's jsonb gives them back: no -0.0, large whole floats as integers."""
    if isinstance(value, float):
        if value == 0:
            return 0.0
        if value.is_integer() and abs(value) >= 1e15:
            return int(value)
        return value
    if isinstance(value, dict):
        return {key: _normalise_numbers(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_normalise_numbers(item) for item in value]
    return value


def canonical_json(value) -> str:
    return json.dumps(
        _normalise_numbers(value),
        cls=DjangoJSONEncoder,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
        allow_nan=False,
    )


def normalise_ip(value) -> str | None:
    """An address as the database's inet column stores it, or None when it is not one."""
    try:
        return str(ipaddress.ip_address(str(value).strip()))
    except ValueError:
        return None


class LogEntry(AbstractLogEntry):
    """One audited event. Append-only: the database refuses changes and deletions."""

    reason = models.TextField(blank=True, help_text="Why the change was made.")
    seq = models.PositiveBigIntegerField(unique=True, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    entry_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The id of the key its hash was made with (audit/keys.py); "" for the entries written before
    # the chain was keyed, hashed with plain SHA-256.
    key_id = models.CharField(max_length=32, blank=True, default="", editable=False)

    class Meta(AbstractLogEntry.Meta):
        verbose_name = "audit log entry"
        verbose_name_plural = "audit log entries"
        indexes = [models.Index(fields=["content_type", "object_pk"], name="audit_object_idx")]

    def hash_payload(self) -> str:
        content_type = self.content_type
        key = {"key": self.key_id} if self.key_id else {}
        return canonical_json(
            {
                **key,
                "seq": self.seq,
                "prev": self.prev_hash,
                "timestamp": self.timestamp.isoformat(timespec="microseconds"),
                "content_type": f"{content_type.app_label}.{content_type.model}",
                "object_pk": str(self.object_pk),
                "object_id": self.object_id,
                "object_repr": self.object_repr,
                "action": self.action,
                "changes": self.changes,
                "changes_text": self.changes_text,
                "serialized_data": self.serialized_data,
                "additional_data": self.additional_data,
                "actor": self.actor_id,
                "actor_email": self.actor_email,
                "remote_addr": self.remote_addr,
                "remote_port": self.remote_port,
                "cid": self.cid,
                "reason": self.reason,
            }
        )

    def compute_hash(self, keys: dict[str, bytes] | None = None) -> str:
        """The entry's hash: an HMAC under the key it names (of `keys`, by default every key
        of this server); plain SHA-256 for an entry from before the chain was keyed."""
        payload = self.hash_payload().encode("ascii")
        if not self.key_id:
            return hashlib.sha256(payload).hexdigest()
        secret = (keys if keys is not None else chain_keys()).get(self.key_id)
        if secret is None:
            raise UnknownAuditKey(self.key_id)
        return hmac.new(secret, payload, hashlib.sha256).hexdigest()

    def _apply_request_context(self) -> None:
        """Take actor and address from auditlog's context now, so that they are hashed too."""
        try:
            context = auditlog_value.get()
        except LookupError:
            return
        # auditlog leaves its context variable set after a block ends and only disconnects its
        # receiver; a context whose receiver is gone is stale and must not name the actor.
        duid = context.get("signal_duid")
        if not any(lookup[0] == duid for lookup, *_ in pre_save.receivers):
            return
        actor = context.get("actor")
        if self.actor_id is None and isinstance(actor, get_user_model()):
            self.actor = actor
            self.actor_email = getattr(actor, "email", None)
        for key in ("remote_addr", "remote_port", "cid"):
            value = context.get(key)
            if value is not None and getattr(self, key) in (None, ""):
                setattr(self, key, value() if callable(value) else value)

    def _apply_actor(self) -> None:
        """The user a service acts for (`audit.context.acting_as`) is who did it."""
        actor = current_actor()
        if self.actor_id is None and isinstance(actor, get_user_model()):
            self.actor = actor
            self.actor_email = getattr(actor, "email", None)

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditImmutableError("Audit log entries cannot be changed.")
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        self._apply_actor()
        self._apply_request_context()
        # Round-trip JSON through the encoder so the hash sees what the database will return.
        for field in ("changes", "serialized_data", "additional_data"):
            value = getattr(self, field)
            if value is not None:
                setattr(self, field, json.loads(canonical_json(value)))
        if self.remote_addr is not None:
            self.remote_addr = normalise_ip(self.remote_addr)
        if not self.reason:
            self.reason = current_reason()
        with transaction.atomic(using=using):
            chain_lock(using)
            last = (
                type(self)
                .objects.using(using)
                .order_by("-seq")
                .values_list("seq", "entry_hash")
                .first()
            )
            self.seq, self.prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
            self.key_id, secret = current_key()
            self.entry_hash = self.compute_hash({self.key_id: secret})
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditImmutableError("Audit log entries cannot be deleted.")

"""Reads of the audit trail."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Model, Q, QuerySet
from django.db.models.functions import Cast

from audit.models import LogEntry


def history_for(*, records: list[Model | QuerySet]) -> QuerySet[LogEntry]:
    """Every audit entry of the given records, newest first, with actor and type loaded.

    Each item of `records` is a record, or a queryset of records: those are matched inside the
    database, without loading them, so the query keeps its size however many there are (the
    readings of a session). Records of one type are matched together, in one condition.
    """
    pks_by_type: dict[ContentType, list[str]] = {}
    condition = Q(pk__in=[])
    for item in records:
        if isinstance(item, QuerySet):
            pks = item.order_by().annotate(audit_pk=Cast("pk", CharField())).values("audit_pk")
            condition |= Q(
                content_type=ContentType.objects.get_for_model(item.model), object_pk__in=pks
            )
        else:
            content_type = ContentType.objects.get_for_model(item)
            pks_by_type.setdefault(content_type, []).append(str(item.pk))
    for content_type, pks in pks_by_type.items():
        condition |= Q(content_type=content_type, object_pk__in=pks)
    return (
        LogEntry.objects.filter(condition)
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-seq")
    )

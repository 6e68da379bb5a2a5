"""Reads of the audit trail."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, Q, QuerySet

from audit.models import LogEntry


def history_for(*, records: list[Model]) -> QuerySet[LogEntry]:
    """Every audit entry of the given records, newest first, with actor and type loaded."""
    condition = Q(pk__in=[])
    for record in records:
        condition |= Q(
            content_type=ContentType.objects.get_for_model(record), object_pk=str(record.pk)
        )
    return (
        LogEntry.objects.filter(condition)
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-seq")
    )

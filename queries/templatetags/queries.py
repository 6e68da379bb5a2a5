"""Queries on the pages of the records they question.

    {% load queries %}
    {% raise_query_url record "systolic" %}       where a monitor raises a query on the field
    {% query_marker markers record "systolic" %}  the marker of the field's open query, if any

`markers` is what queries.selectors.markers_for found for the page's records, in one read.
"""

from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def raise_query_url(record, field_name: str = "") -> str:
    params = {"record": record._meta.label_lower, "id": record.pk}
    if field_name:
        params["field"] = field_name
    return f"{reverse('queries:raise')}?{urlencode(params)}"


@register.simple_tag
def query_marker(markers, record, field_name: str = "") -> str:
    if markers is None:
        return ""
    query = markers.on_field(record, field_name)
    if query is None:
        return ""
    return format_html(
        '<a class="badge text-bg-warning text-decoration-none" href="{}" '
        'title="Query {}: {}" data-testid="query-marker-{}">?{}</a>',
        reverse("queries:detail", args=[query.pk]),
        query.pk,
        query.get_state_display().lower(),
        field_name or "record",
        "" if query.state == query.State.OPEN else " answered",
    )

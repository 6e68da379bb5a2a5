"""Queries and source-data verification on the pages of the records they concern.

    {% load queries %}
    {% raise_query_url record "systolic" %}       where a monitor raises a query on the field
    {% query_marker markers record "systolic" %}  the marker of the field's open query, if any
    {% sdv_state sdv record "not yet" %}          verified, or changed since verification (what)
    {% sdv_verify record "Mark verified" sdv=sdv %}  the monitor's button (none once verified)

`markers` is what queries.selectors.markers_for found for the page's records, in one read;
`sdv` what queries.selectors.sdv_marks_for found (None for a user who may not see it).
"""

from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
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


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "d M Y H:i")


@register.simple_tag
def sdv_state(sdv, record, unverified: str = "") -> str:
    """A tick for a record verified at its current version; for one changed since its
    verification, a badge and what changed (the fields, by whom, when); `unverified` for one
    never verified."""
    mark = sdv.mark(record) if sdv is not None else None
    if mark is None and (sdv is None or not unverified):
        return ""
    if mark is None:
        return format_html('<span class="text-muted small">{}</span>', unverified)
    if sdv.is_verified(record):
        return format_html(
            '<span class="badge text-bg-success" title="Verified against the source by {} at {}"'
            ' data-testid="sdv-verified">&#10003; verified</span>',
            mark.verified_by.printed_name,
            _when(mark.verified_at),
        )
    changes = "; ".join(
        f"{change.summary} ({change.by}, {_when(change.at)})" for change in sdv.changes(record)
    )
    return format_html(
        '<span class="badge text-bg-warning" title="Verified by {} at {}" '
        'data-testid="sdv-changed">changed since verification</span> '
        '<span class="small text-muted" data-testid="sdv-changes">{}</span>',
        mark.verified_by.printed_name,
        _when(mark.verified_at),
        changes,
    )


@register.inclusion_tag("queries/_sdv_verify.html", takes_context=True)
def sdv_verify(context, record, label: str = "Verified", *, parts: bool = False, sdv=None) -> dict:
    """The monitor's button that marks `record` verified (with its records, `parts`), back to
    this page; none for a record `sdv` says is verified already (unless with its records)."""
    if sdv is not None and not parts and sdv.is_verified(record):
        return {"hidden": True}
    return {
        "csrf_token": context.get("csrf_token"),
        "record": record,
        "record_label": record._meta.label_lower,
        "parts": parts,
        "label": label,
        "testid": f"sdv-verify-{record._meta.model_name}{'-all' if parts else ''}-{record.pk}",
        "next": context["request"].get_full_path(),
    }

"""The flowsheet's table of readings, written in Python.

A session's flowsheet has a row per reading (30 or more by the end of a session), and each row
has its values, their query markers, the links to correct it, raise a query on each field or
draft an adverse event, and its verification state. Rendered by the template engine that cost
about a millisecond a row (some 150 variable lookups and a dozen tags each); this tag writes the
same markup directly.

    {% load flowsheet_rows %}
    {% reading_rows %}    the <tr> of each of sheet.readings, or the row saying there are none

It lives with the query markers it writes rather than in sessions_app, which has no template
tags of its own: scripts/check-upgrade.sh runs an earlier release with this checkout installed,
and Django would load a new `sessions_app.templatetags` into that release's `sessions_app`.
"""

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from queries.templatetags.queries import query_marker, raise_query_url, sdv_state
from records.templatetags.free_text import free_text

register = template.Library()

DANGER = ' class="fw-bold text-danger"'
NONE_YET = '<tr><td colspan="8" class="text-muted text-start">No readings yet.</td></tr>'
# The fields a monitor may raise a query on from the row: the field, the one whose value makes it
# offered (blood pressure is measured as a pair), the link's name.
QUERYABLE = (
    ("systolic", "systolic", "systolic"),
    ("diastolic", "systolic", "diastolic"),
    ("pulse", "pulse", "pulse"),
    ("temperature", "temperature", "temperature"),
    ("suds", "suds", "SUDS"),
)


def _time(moment, fmt: str) -> str:
    return date_format(timezone.localtime(moment), fmt) if moment else ""


def _value(value) -> str:
    """`{{ value|default_if_none:"" }}`: localised and escaped, nothing for None."""
    return "" if value is None else conditional_escape(localize(value))


def _danger(reading, field: str) -> str:
    return DANGER if field in reading.flags else ""


class _Row:
    """What every row of one flowsheet shares: the user's permissions and the page's markers."""

    def __init__(self, context):
        self.context = context
        self.session = context["session"]
        self.markers = context.get("query_markers")
        self.sdv = context.get("sdv")
        self.can_edit = context.get("can_edit")
        self.can_raise_query = context.get("can_raise_query")
        request = context.get("request")
        user = getattr(request, "user", None)
        self.can_draft_ae = user is not None and user.has_perm("safety.add_adverseevent")
        self.ae_create = reverse("safety:ae_create")

    def marker(self, reading, field: str = "") -> str:
        return query_marker(self.markers, reading, field)

    def struck(self, r) -> str:
        reason = conditional_escape(free_text(self.context, r.void_reason, self.session))
        bp = f"{_value(r.systolic)}/{_value(r.diastolic)}" if r.systolic else ""
        return format_html(
            '<tr class="text-muted" data-testid="struck-reading">'
            "<td><del>{}</del></td><td><del>{}</del></td><td><del>{}</del></td>"
            "<td><del>{}</del></td><td><del>{}</del></td><td><del>{}</del></td>"
            '<td class="small" colspan="2"><span class="badge text-bg-secondary">entered in error'
            "</span> {} ({}, {})</td></tr>\n",
            _time(r.measured_at, "H:i"),
            r.elapsed_label,
            mark_safe(bp),  # noqa: S308 - both values escaped by _value
            mark_safe(_value(r.pulse)),  # noqa: S308 - escaped by _value
            mark_safe(_value(r.temperature)),  # noqa: S308 - escaped by _value
            mark_safe(_value(r.suds)),  # noqa: S308 - escaped by _value
            reason,
            r.voided_by.printed_name if r.voided_by else "",
            _time(r.voided_at, "d M H:i"),
        )

    def shown(self, r) -> str:
        bp = ""
        if r.systolic:
            bp = format_html(
                '<span class="{}" data-testid="systolic">{}</span>{}/<span class="{}">{}</span>{}',
                "fw-bold text-danger" if "systolic" in r.flags else "",
                _value(r.systolic),
                self.marker(r, "systolic"),
                "fw-bold text-danger" if "diastolic" in r.flags else "",
                _value(r.diastolic),
                self.marker(r, "diastolic"),
            )
        flag = (
            format_html(
                '<span class="badge text-bg-danger" data-testid="flag">over threshold: {}</span>',
                ", ".join(r.flags),
            )
            if r.flags
            else ""
        )
        buttons = []
        if self.can_edit:
            buttons.append(
                format_html(
                    '<a class="btn btn-sm btn-outline-secondary" href="{}">Correct</a>',
                    reverse("sessions_app:reading_edit", args=[r.pk]),
                )
            )
        if r.flags and self.can_draft_ae:
            buttons.append(
                format_html(
                    '<a class="btn btn-sm btn-outline-danger" href="{}?reading={}" '
                    'data-testid="open-ae">Draft adverse event</a>',
                    self.ae_create,
                    r.pk,
                )
            )
        raise_links = ""
        if self.can_raise_query:
            links = [
                format_html(
                    ' <a href="{}" data-testid="raise-{}">{}</a>',
                    raise_query_url(r, field),
                    field,
                    name,
                )
                for field, offered_if, name in QUERYABLE
                if getattr(r, offered_if) is not None
            ]
            raise_links = format_html(
                '<span class="small d-inline-block" data-testid="raise-query">Query:{}</span>',
                mark_safe("".join(links)),  # noqa: S308 - each link built by format_html
            )
        return format_html(
            '<tr class="{}" data-testid="reading"><td>{}</td><td>{}</td><td>{}</td>'
            "<td{}>{}{}</td><td{}>{}{}</td><td>{}{}</td>"
            '<td class="small">{} <span class="text-muted">{}{}</span> {}</td>'
            '<td class="d-print-none"><span class="text-nowrap">{}</span> {}{}</td></tr>\n',
            "table-danger" if r.flags else "",
            _time(r.measured_at, "H:i"),
            r.elapsed_label,
            bp,
            mark_safe(_danger(r, "pulse")),  # noqa: S308 - a constant
            mark_safe(_value(r.pulse)),  # noqa: S308 - escaped by _value
            self.marker(r, "pulse"),
            mark_safe(_danger(r, "temperature")),  # noqa: S308 - a constant
            mark_safe(_value(r.temperature)),  # noqa: S308 - escaped by _value
            self.marker(r, "temperature"),
            mark_safe(_value(r.suds)),  # noqa: S308 - escaped by _value
            self.marker(r, "suds"),
            flag,
            r.recorded_by.printed_name if r.recorded_by else "",
            " · corrected" if r.version > 1 else "",
            sdv_state(self.sdv, r),
            mark_safe("\n".join(buttons)),  # noqa: S308 - each button built by format_html
            raise_links,
            self.marker(r),
        )


@register.simple_tag(takes_context=True)
def reading_rows(context) -> SafeString:
    readings = context["sheet"].readings
    if not readings:
        return mark_safe(NONE_YET)  # noqa: S308 - a constant
    row = _Row(context)
    return mark_safe(  # noqa: S308 - every row built by format_html
        "".join(row.struck(r) if r.voided_at else row.shown(r) for r in readings)
    )

"""The sessions pages as the tests drive them: their addresses, typed times and shown errors."""

import datetime
import html
import re

from django.urls import reverse
from django.utils import timezone


def local(dt: datetime.datetime) -> str:
    """`dt` as a datetime-local input shows and sends it, in the current time zone."""
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def flowsheet_url(session) -> str:
    return reverse("sessions_app:flowsheet", args=[session.pk])


def dose_url(dose) -> str:
    return reverse("sessions_app:administration_correct", args=[dose.pk])


def decision_url(session) -> str:
    return reverse("sessions_app:correct_supplemental", args=[session.pk])


def dose_form(dose, **values) -> dict:
    """The dose-correction form as the page fills it for `dose`, with `values` typed over it."""
    data = {
        "version": dose.version,
        "dose_mg": dose.dose_mg,
        "kit_number": dose.kit_number,
        "administered_at": local(dose.administered_at),
        "reason": "Kit label re-read.",
    }
    data.update(values)
    return data


def field_error(body: str, field_id: str) -> str:
    """The first error shown beside the field whose id is `id_<field_id>`, unescaped, or ""."""
    match = re.search(rf'id="error_1_id_{field_id}"[^>]*>\s*<strong>(.*?)</strong>', body, re.S)
    return html.unescape(match.group(1)) if match else ""


def input_tag(body: str, name: str) -> str:
    """The tag of the input, textarea or select named `name`, or ""."""
    match = re.search(rf'<(?:input|textarea|select)[^>]*name="{name}"[^>]*>', body)
    return match.group(0) if match else ""


def post_reading(client, session, **values):
    """Post the flowsheet's reading form, measured now, with `values` as typed."""
    data = {"action": "reading", "reading-measured_at": local(timezone.now())}
    data.update({f"reading-{name}": value for name, value in values.items()})
    return client.post(flowsheet_url(session), data)


def preselected(body: str, names: list[str]) -> dict[str, str]:
    """The values the page has already chosen for `names` (radio checked, option selected)."""
    chosen = {}
    for tag in re.findall(r"<input[^>]*>", body):
        name = re.search(r'name="([^"]+)"', tag)
        if name and name.group(1) in names and 'type="radio"' in tag and " checked" in tag:
            chosen[name.group(1)] = re.search(r'value="([^"]*)"', tag).group(1)
    for name, select in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', body, re.S):
        if name in names:
            for value in re.findall(r'<option value="([^"]+)"[^>]*selected', select):
                chosen[name] = value
    return chosen

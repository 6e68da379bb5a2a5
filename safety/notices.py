"""What the safety emails say (safety.tasks sends them).

An email may be read outside the site (a monitor's mailbox): it names the event by its number,
the participant by study ID, the seriousness criteria met and the clock's times in the site's
zone, with a link to the event's page. Never the participant's identity, and never the event's
free text (its verbatim term, description or treatment): the page shows those to the users
who may read them.
"""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from safety.clocks import Clock, serious_clock
from safety.models import SERIOUSNESS_CRITERIA, AdverseEvent, SafetyNotice

Kind = SafetyNotice.Kind


def criteria_short(ae: AdverseEvent) -> str:
    """The seriousness criteria met, briefly: "hospitalisation, life threatening"."""
    return ", ".join(
        name.removeprefix("serious_").replace("_", " ")
        for name, _ in SERIOUSNESS_CRITERIA
        if getattr(ae, name)
    )


def event_label(ae: AdverseEvent) -> str:
    """ "AE 12 (serious: hospitalisation)"."""
    return f"AE {ae.pk} (serious: {criteria_short(ae) or 'no criterion now'})"


def _site_time(ae: AdverseEvent, when) -> str:
    return f"{timezone.localtime(when, ae.participant.site.zoneinfo):%d %b %Y %H:%M %Z}"


def _link(ae: AdverseEvent) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("safety:ae_detail", args=[ae.pk])


# Each kind of email: its subject's opening, and what its first paragraph says.
OPENINGS = {
    Kind.SERIOUS_SUBMITTED: (
        "Serious adverse event reported",
        "The site investigator has signed a report of a serious adverse event.",
    ),
    Kind.SERIOUS_REMINDER: (
        "Serious adverse event not yet submitted",
        "A serious adverse event at your site has not reached the sponsor yet: the site "
        "investigator's signed submission is due within 24 hours of the site's awareness.",
    ),
    Kind.SUSAR_DUE_SOON: (
        "SUSAR report due soon",
        "A suspected unexpected serious adverse reaction (SUSAR) is due to the regulator "
        "soon, and no submission is recorded.",
    ),
    Kind.SUSAR_OVERDUE: (
        "SUSAR report overdue",
        "A suspected unexpected serious adverse reaction (SUSAR) was due to the regulator and "
        "no submission is recorded.",
    ),
}


def notice_email(ae: AdverseEvent, *, kind: str, clock: Clock | None = None) -> tuple[str, str]:
    """(subject, body) of the `kind` of email about `ae`; `clock` is the clock it is about
    (the 24-hour one when not given). `ae` has its participant's site and study loaded."""
    clock = clock or serious_clock(ae)
    participant = ae.participant
    site = participant.site
    title, opening = OPENINGS[kind]
    label = event_label(ae)
    criteria = [text for name, text in SERIOUSNESS_CRITERIA if getattr(ae, name)]
    lines = [
        opening,
        "",
        f"Study: {site.study.code}",
        f"Site: {site.number}",
        f"Participant: {participant.label}",
        f"Event: {label}",
        f"Seriousness criteria met: {'; '.join(criteria) or 'none now'}",
        f"Site's awareness: {_site_time(ae, ae.aware_at)}",
    ]
    if clock is not None:
        lines.append(f"{clock.name}: due {_site_time(ae, clock.due_at)} ({clock.status()})")
    lines += ["", f"Open the event on trialsite: {_link(ae)}", ""]
    subject = f"[trialsite] {title}: {site.study.code} site {site.number}, {label}"
    return subject, "\n".join(lines)

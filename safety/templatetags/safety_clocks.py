"""The reporting clocks of an adverse event on its pages (safety.clocks).

`{{ ae|clocks }}` reads what the selectors fetched with the event (its review and regulatory
submissions) and makes no query.
"""

from django import template

from safety import clocks as reporting

register = template.Library()


@register.filter
def clocks(ae) -> list[reporting.Clock]:
    """Every reporting clock of the event, the 24-hour one first."""
    return reporting.clocks(ae)


@register.filter
def serious_clock(ae) -> reporting.Clock | None:
    """The event's 24-hour clock (None when it is not serious)."""
    return reporting.serious_clock(ae)


@register.filter
def submitted_late(clock: reporting.Clock) -> str:
    """ "Submitted 3 h 10 min late" for a clock stopped after its due time; "" otherwise."""
    if clock.state() != "late":
        return ""
    return f"Submitted {clock.status().removeprefix('late by ')} late"

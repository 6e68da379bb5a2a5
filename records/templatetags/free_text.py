"""Free text on a page: shown to those who may read it, a neutral notice for anyone else.

    {% load free_text %}
    {% free_text note %}               the note, or the notice (for the user's roles anywhere)
    {% free_text note participant %}   by the roles the user holds at the participant's site

The one rule (accounts.selectors.may_see_free_text) decides; templates never test roles.
"""

from django import template

from accounts.selectors import may_see_free_text

register = template.Library()

WITHHELD = "(free text not shown to sponsor roles)"


@register.simple_tag(takes_context=True)
def free_text(context, value, record=None) -> str:
    """`value` (escaped by the template) if the user may read it, else the notice; "" if empty."""
    if value in (None, ""):
        return ""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is not None and may_see_free_text(user, record):
        return value
    return WITHHELD

"""Free text on a page: shown to those who may read it, a neutral notice for anyone else.

    {% load free_text %}
    {% free_text note %}               the note, or the notice (for the user's roles anywhere)
    {% free_text note participant %}   by the roles the user holds at the participant's site,
                                       and without the participant's identity for those who
                                       may not see it (records.redaction)
    {% audit_reason entry subject %}   an audit entry's reason, as a free text of `subject`;
                                       none at all on an identity record for those who may not
                                       see identity

The one rule (accounts.selectors.may_see_free_text) decides; templates never test roles.
"""

from django import template
from django.conf import settings

from accounts.selectors import may_see_free_text
from records.redaction import IDENTITY_PERMISSION, participant_of, without_identity

register = template.Library()

WITHHELD = "(free text not shown to your role)"


@register.simple_tag(takes_context=True)
def free_text(context, value, record=None) -> str:
    """`value` (escaped by the template) if the user may read it, else the notice; "" if empty."""
    if value in (None, ""):
        return ""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is not None and may_see_free_text(user, record):
        return without_identity(request, str(value), record)
    return WITHHELD


IDENTITY_REASON_WITHHELD = "(a reason given on the identity record, shown to its site only)"


@register.simple_tag(takes_context=True)
def audit_reason(context, entry, subject=None) -> str:
    if not entry.reason:
        return ""
    label = f"{entry.content_type.app_label}.{entry.content_type.model}"
    if label in settings.AUDIT_IDENTITY_MODELS:
        user = getattr(context.get("request"), "user", None)
        if user is None or not user.has_perm(IDENTITY_PERMISSION, participant_of(subject)):
            return IDENTITY_REASON_WITHHELD
    return free_text(context, entry.reason, subject)

from uuid import uuid4

from django import template
from django.utils.html import format_html

from records.submissions import FIELD

register = template.Library()


@register.simple_tag
def submission_key() -> str:
    """A fresh one-time key for the form it stands in: each rendering of a form gets its own, so
    a form shown again after a refusal is a new submission."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, uuid4())

"""``{{ hit.message|highlight:q }}``: the message escaped, with the searched words inside <mark>."""

from __future__ import annotations

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from telemetry.domain.highlight import highlight_parts, query_words

register = template.Library()


@register.filter
def highlight(text: object, q: object) -> SafeString:
    """Every piece of ``text`` is escaped; only the <mark> tags around matched words are markup."""
    parts = highlight_parts(str(text or ""), words=query_words(str(q or "")))
    html = "".join(
        f"<mark>{conditional_escape(piece)}</mark>" if matched else str(conditional_escape(piece))
        for piece, matched in parts
    )
    return mark_safe(html)  # noqa: S308 - built only from escaped pieces and literal <mark> tags

"""Markdown for notes, updates and postmortems: rendered with ``markdown`` and sanitised with ``nh3``.

Raw HTML in the source passes through Markdown and is then cleaned: only formatting tags survive, links
keep http(s)/mailto targets and get ``rel="noopener noreferrer nofollow"``, scripts, event handlers, styles
and ``javascript:`` URLs are removed."""

from __future__ import annotations

import threading
from functools import lru_cache

import markdown as md
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "details", "dd", "dl", "dt", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "strong", "sub", "summary", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title"},
    "td": {"align"},
    "th": {"align"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}
MAX_SOURCE = 200_000
_local = threading.local()


def _converter() -> md.Markdown:
    """One Markdown instance per thread (building one per call dominates rendering a long timeline)."""
    converter = getattr(_local, "converter", None)
    if converter is None:
        converter = _local.converter = md.Markdown(extensions=["extra", "sane_lists"], output_format="html")
    return converter


def render_markdown(text: str) -> SafeString:
    """Sanitised HTML for ``text`` (safe to put in a template as is). Short texts (timeline notes, which
    every view of a busy incident renders again) are cached per process."""
    text = (text or "")[:MAX_SOURCE]
    if len(text) <= 4000:
        return mark_safe(_render_cached(text))  # noqa: S308 - cleaned by nh3 in _render
    return mark_safe(_render(text))  # noqa: S308 - cleaned by nh3 in _render


@lru_cache(maxsize=4096)
def _render_cached(text: str) -> str:
    return _render(text)


def _render(text: str) -> str:
    html = _converter().reset().convert(text)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return clean

"""``{% load sre_links %}``: ``value|http_href`` is the URL when it may be a link (http or https), else ""."""

from __future__ import annotations

from django import template

from sre.domain.links import http_url

register = template.Library()


@register.filter
def http_href(value: object) -> str:
    return http_url(value) or ""

"""Which URLs may become links: absolute http(s) with a host, nothing a browser would rewrite."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from sre.domain.links import http_url


@pytest.mark.parametrize(
    "url",
    [
        "http://prometheus:9090/graph?g0.expr=up",
        "https://grafana.example.com/d/abc",
        "HTTPS://EXAMPLE.COM/",
        "http://[2001:db8::1]:8080/x",
    ],
)
def test_http_urls_may_be_links(url: str) -> None:
    assert http_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.domain)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "\x01javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/x",
        "/relative/path",
        "http://",
        "http:alert(1)",
        "https://example.com:99999/",
        "ftp://example.com/file",
        "http://example.com/\nx",
        "http://example.com/" + "a" * 2000,
        "",
        None,
        42,
    ],
)
def test_anything_else_is_not_a_link(url: object) -> None:
    assert http_url(url) is None


def test_template_filter_gives_an_empty_href_for_non_http() -> None:
    template = Template("{% load sre_links %}[{{ url|http_href }}]")
    assert template.render(Context({"url": "javascript:alert(1)"})) == "[]"
    assert template.render(Context({"url": "https://a.example/?x=1&y=2"})) == "[https://a.example/?x=1&amp;y=2]"

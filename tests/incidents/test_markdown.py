"""Markdown is rendered and sanitised: no script can get through notes, updates or postmortems."""

from __future__ import annotations

import pytest

from incidents.markdown import render_markdown

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<svg/onload=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<body onload=alert(1)>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "![x](javascript:alert(1))",
    "<details open ontoggle=alert(1)>",
    "<<script>script>alert(1)<</script>/script>",
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "```\n<script>alert(1)</script>\n```",
]


@pytest.mark.parametrize("payload", XSS)
def test_xss_payloads_are_neutralised(payload: str) -> None:
    html = str(render_markdown(payload)).lower()
    assert "<script" not in html
    assert "javascript:" not in html
    assert "onerror" not in html and "onload" not in html and "ontoggle" not in html
    assert "<iframe" not in html and "<svg" not in html and "style=" not in html
    assert "data:text/html" not in html


def test_formatting_survives() -> None:
    html = str(
        render_markdown("# Title\n\n**bold** `code` [link](https://example.com)\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    )
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html and "<code>code</code>" in html
    assert 'href="https://example.com"' in html and 'rel="noopener noreferrer nofollow"' in html
    assert "<table>" in html and "<td>1</td>" in html


def test_code_blocks_show_markup_as_text() -> None:
    html = str(render_markdown("```\n<b>not bold</b>\n```"))
    assert "&lt;b&gt;" in html

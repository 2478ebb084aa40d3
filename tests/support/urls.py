"""Enumerate the project's URL patterns (for tests that sweep every API route)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.urls import URLPattern, URLResolver, get_resolver

_PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")


def _concrete(route: str) -> str:
    route = route.lstrip("^").rstrip("$").replace("\\.", ".")
    route = _REGEX_GROUP.sub("1", route)
    route = _PARAM.sub(lambda m: "00000000-0000-0000-0000-000000000001" if m["conv"] == "uuid" else "1", route)
    return route.replace("\\", "")


def iter_paths(prefix: str = "/") -> Iterator[str]:
    """Every concrete path (parameters filled with 1) whose full path starts with ``prefix``."""

    def walk(patterns: list, base: str) -> Iterator[str]:
        for entry in patterns:
            route = _concrete(str(entry.pattern))
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, base + route)
            elif isinstance(entry, URLPattern):
                path = base + route
                if "(" in path or "?" in path:  # format-suffix regexes and the like
                    continue
                yield path

    seen: set[str] = set()
    for path in walk(get_resolver().url_patterns, "/"):
        if path.startswith(prefix) and path not in seen:
            seen.add(path)
            yield path

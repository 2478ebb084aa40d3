"""Sloth specs to plain SLO definitions (pure). Placeholder until the parser lands: every document is skipped."""

from __future__ import annotations

from slo.domain.openslo import ImportResult


def sloth_parse(docs: list[tuple[str, dict]]) -> ImportResult:
    result = ImportResult()
    result.skipped.extend(f"{where}: Sloth specs are not supported yet" for where, _ in docs)
    return result

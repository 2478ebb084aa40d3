"""Which SLO file format each decoded YAML document is in, and the parse of a whole import (pure).

A document is OpenSLO v1 (``apiVersion: openslo/v1``), a Sloth spec (``version: prometheus/v1``, or the
Kubernetes CRD ``apiVersion: sloth.slok.dev/v1``, ``kind: PrometheusServiceLevel``) or a Pyrra
``ServiceLevelObjective`` CRD (``apiVersion: pyrra.dev/v1alpha1``). A document that is a YAML list holds
several objects; each is placed by "document N, item M". Every parser takes ``[(where, mapping), ...]``
and returns an :class:`ImportResult`; the results are merged."""

from __future__ import annotations

from typing import Any

from slo.domain.openslo import ImportResult, openslo_parse
from slo.domain.pyrra import pyrra_parse
from slo.domain.sloth import sloth_parse

FORMATS = ("openslo", "sloth", "pyrra")


def detect(doc: dict[str, Any]) -> str | None:
    """The format of one mapping, or None."""
    api, kind = doc.get("apiVersion"), doc.get("kind")
    if api == "openslo/v1":
        return "openslo"
    if doc.get("version") == "prometheus/v1" or (
        api == "sloth.slok.dev/v1" and kind in ("PrometheusServiceLevel", "AlertWindows")  # windows: the SLO period
    ):
        return "sloth"
    if isinstance(api, str) and api.startswith("pyrra.dev/") and kind == "ServiceLevelObjective":
        return "pyrra"
    return None


def flatten(docs: list[object]) -> list[tuple[str, object]]:
    """Each object with where it came from; a list document contributes each of its items; nulls are dropped."""
    out: list[tuple[str, object]] = []
    for index, doc in enumerate(docs):
        where = f"document {index + 1}"
        if isinstance(doc, list):
            out.extend((f"{where}, item {i + 1}", item) for i, item in enumerate(doc) if item is not None)
        elif doc is not None:
            out.append((where, doc))
    return out


def parse_documents(docs: list[object]) -> ImportResult:
    """Services and SLOs of every document in any supported format. A document in no known format is
    listed in ``skipped`` with the reason and the rest still imports."""
    result = ImportResult()
    groups: dict[str, list[tuple[str, dict[str, Any]]]] = {name: [] for name in FORMATS}
    for where, doc in flatten(docs):
        if not isinstance(doc, dict):
            result.skipped.append(f"{where}: not a mapping")
            continue
        fmt = detect(doc)
        if fmt is None:
            api, kind = doc.get("apiVersion"), doc.get("kind")
            result.skipped.append(
                f"{where}: apiVersion {api!r}" + (f" kind {kind!r}" if kind else "")
                + " is not OpenSLO v1 (openslo/v1), Sloth or Pyrra"
            )  # fmt: skip
            continue
        groups[fmt].append((where, doc))
    for fmt, parser in (("openslo", openslo_parse), ("sloth", sloth_parse), ("pyrra", pyrra_parse)):
        if groups[fmt]:
            part = parser(groups[fmt])
            result.services.extend(part.services)
            result.slos.extend(part.slos)
            result.unsupported.extend(part.unsupported)
            result.skipped.extend(part.skipped)
            result.errors.extend(part.errors)
    return result

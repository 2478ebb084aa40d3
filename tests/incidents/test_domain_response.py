"""MTTA / MTTM / MTTR maths: table tests and properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from incidents.domain.response import IncidentTimes, month_range, response_metrics

T = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)


def _inc(severity="sev1", services=("checkout",), start=T, detect=None, ack=None, mitigate=None, resolve=None):
    m = lambda minutes: None if minutes is None else start + timedelta(minutes=minutes)  # noqa: E731
    return IncidentTimes(severity, tuple(services), start, m(detect), m(ack), m(mitigate), m(resolve))


def test_means_per_severity_service_and_month() -> None:
    items = [
        _inc("sev1", ("checkout",), detect=2, ack=6, mitigate=20, resolve=60),  # tta 4, ttm 20, ttr 60
        _inc("sev1", ("checkout", "payments-api"), detect=0, ack=10, mitigate=40, resolve=120),  # tta 10
        _inc("sev3", ("search",), ack=None, resolve=30),  # not acknowledged
        _inc("sev1", ("checkout",), start=T - timedelta(days=20), ack=1, resolve=2),  # February
    ]
    out = response_metrics(items)
    march = out["by_severity"]["2026-03"]["sev1"]
    assert march["count"] == 2
    assert march["mtta_seconds"] == 7 * 60
    assert march["mttm_seconds"] == 30 * 60
    assert march["mttr_seconds"] == 90 * 60
    assert out["by_severity"]["2026-03"]["sev3"]["mtta_seconds"] is None
    assert out["by_severity"]["2026-03"]["sev3"]["n_resolved"] == 1
    assert out["by_service"]["2026-03"]["payments-api"]["count"] == 1
    assert out["by_service"]["2026-03"]["checkout"]["count"] == 2
    assert out["overall"]["2026-03"]["all"]["count"] == 3
    assert out["overall"]["2026-02"]["all"]["mttr_seconds"] == 120
    assert list(out["overall"]) == ["2026-02", "2026-03"]


def test_mtta_without_detection_time_counts_from_start_and_negative_spans_are_ignored() -> None:
    out = response_metrics([_inc(ack=5), _inc(detect=10, ack=5)])
    bucket = out["overall"]["2026-03"]["all"]
    assert bucket["mtta_seconds"] == 300 and bucket["n_acknowledged"] == 1


def test_month_range_crosses_years() -> None:
    assert month_range(end=datetime(2026, 2, 3, tzinfo=UTC), months=4) == ["2025-11", "2025-12", "2026-01", "2026-02"]


@given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 10_000)), min_size=1, max_size=30))
def test_mttr_lies_between_the_shortest_and_longest_resolution(pairs) -> None:
    items = [_inc(ack=a, resolve=r) for a, r in pairs]
    bucket = response_metrics(items)["overall"]["2026-03"]["all"]
    spans = [r * 60 for _, r in pairs]
    assert min(spans) - 1e-6 <= bucket["mttr_seconds"] <= max(spans) + 1e-6
    assert bucket["count"] == len(pairs) == bucket["n_resolved"]


@given(st.lists(st.sampled_from(["sev1", "sev2", "sev3", "sev4"]), max_size=40))
def test_counts_by_severity_add_up_to_the_total(severities) -> None:
    out = response_metrics([_inc(severity=s) for s in severities])
    total = sum(b["count"] for b in out["by_severity"].get("2026-03", {}).values())
    assert total == len(severities) == out["overall"].get("2026-03", {}).get("all", {"count": 0})["count"]

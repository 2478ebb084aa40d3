"""OpenSLO export -> import -> export is identical, over generated SLO definitions (hypothesis).

Pure: the export of a definition, dumped and read back as YAML, parsed, and exported again gives the same
YAML text and the same definition. One database pass runs it through the API as users do (export
endpoint, import endpoint, export endpoint)."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slo.domain.exact import decimal_str, exact
from slo.domain.formats import parse_documents
from slo.domain.openslo import openslo_export
from slo.domain.selector import Selector
from slo.domain.spec import policy_dump, policy_validate, sli_validate
from slo.models import SLO, Service
from tests.slo.test_openslo import post_yaml

SLUG = st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True)
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40)
METRIC = st.sampled_from(["http_requests_total", "rpc_calls_total", "jobs:processed_total"])
LABEL = st.from_regex(r"[a-z][a-z_]{0,8}", fullmatch=True).filter(lambda s: s != "le")
MATCHER = st.tuples(LABEL, st.sampled_from(["=", "!=", "=~", "!~"]), st.sampled_from(["5..", "checkout", 'a"b', ""]))
SELECTOR = st.builds(lambda m, ms: str(Selector(m, tuple(ms))), METRIC, st.lists(MATCHER, max_size=3))
WINDOW_EXPR = SELECTOR.map(lambda s: f"sum(increase({s}[$window]))")


def _decimal(low: str, high: str, places: int) -> st.SearchStrategy[str]:
    return st.decimals(min_value=low, max_value=high, places=places).map(lambda d: decimal_str(exact(d)))


@st.composite
def sli(draw) -> tuple[str, dict]:
    kind = draw(st.sampled_from(["ratio", "promql", "log", "latency"]))
    side = draw(st.sampled_from(["good", "bad"]))
    if kind == "ratio":
        return kind, {side: draw(SELECTOR), "total": draw(SELECTOR)}
    if kind == "promql":
        return kind, {side: draw(SELECTOR | WINDOW_EXPR), "total": draw(SELECTOR | WINDOW_EXPR)}
    if kind == "log":
        levels = draw(st.lists(st.sampled_from(["warning", "error", "critical"]), min_size=1, unique=True))
        return kind, {"service": draw(SLUG), "bad_query": draw(TEXT.map(str.strip)), "bad_levels": levels}
    bucket = draw(SELECTOR).replace(" ", "")
    metric = bucket.split("{")[0].removesuffix("_total") + "_seconds_bucket"
    return kind, {
        "selector": metric + bucket[len(bucket.split("{")[0]) :],
        "threshold": draw(_decimal("0.001", "30", 3)),
    }


@st.composite
def condition(draw, index: int) -> dict:
    long = draw(st.integers(2, 72 * 60))
    return {
        "name": f"c{index}-{draw(SLUG)}",
        "severity": draw(st.sampled_from(["page", "ticket"])),
        "factor": draw(_decimal("0.1", "1000", 2)),
        "long_window": f"{long}m",
        "short_window": f"{draw(st.integers(1, long - 1))}m",
    }


@st.composite
def definition(draw) -> dict:
    kind, spec = draw(sli())
    calendar = draw(st.booleans())
    timeslices = draw(st.booleans())
    n = draw(st.integers(0, 3))
    out = {
        "name": draw(SLUG),
        "display_name": draw(TEXT),
        "description": draw(TEXT),
        "service": draw(SLUG),
        "service_description": draw(TEXT),
        "target": draw(_decimal("0.5", "0.99999", 5)),
        "window_kind": "calendar" if calendar else "rolling",
        "window_days": 30 if calendar else draw(st.integers(1, 90)),
        "calendar_unit": draw(st.sampled_from(["week", "month"])) if calendar else "month",
        "timezone": draw(st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"])),
        "budgeting_method": "Timeslices" if timeslices else "Occurrences",
        "timeslice_target": draw(_decimal("0.5", "0.999", 3)) if timeslices else "0.99",
        "sli_kind": kind,
        "sli": sli_validate(kind, spec),  # as stored
        "alert_policy": [draw(condition(i)) for i in range(n)],
        "enabled": draw(st.booleans()),
        "missing_good": draw(st.sampled_from(["no_data", "bad"])),
    }
    out["alert_policy"] = policy_dump(policy_validate(out["alert_policy"]))  # as stored
    return out


def _reimport(text: str) -> dict:
    result = parse_documents(list(yaml.safe_load_all(text)))
    assert result.errors == [] and result.skipped == [] and result.unsupported == [], result
    (slo,) = result.slos
    (service,) = result.services
    return {**{k: v for k, v in slo.items() if k != "where"}, "service_description": service["description"]}


def _dump(docs: list[dict]) -> str:
    return yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True)


@settings(max_examples=300, deadline=None)
@given(definition())
def test_export_import_export_is_identical(slo):
    first = _dump(openslo_export(slo))
    again = _reimport(first)
    assert _dump(openslo_export(again)) == first
    assert sli_validate(again["sli_kind"], again["sli"]) == again["sli"]  # what the import saves
    rolling = slo["window_kind"] == "rolling"
    skip = {"window_days"} if not rolling else {"calendar_unit", "timezone"}  # a rolling window has no zone
    skip |= {"timeslice_target"} if slo["budgeting_method"] == "Occurrences" else set()
    assert {k: v for k, v in again.items() if k not in skip} == {k: v for k, v in slo.items() if k not in skip}


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(slo=definition())
def test_export_import_export_through_the_api(token_client, slo):
    SLO.objects.all().delete()
    Service.objects.all().delete()
    admin = token_client(role="admin", scopes=("read", "write"))
    text = _dump(openslo_export(slo))
    body = post_yaml(admin, text).json()
    assert body["slos"]["created"] == [slo["name"]], body
    exported = admin.get(f"/api/v1/slos/{SLO.objects.get().pk}/openslo").content.decode()
    assert exported == text
    assert post_yaml(admin, exported).json()["slos"]["updated"] == [slo["name"]]
    assert admin.get(f"/api/v1/slos/{SLO.objects.get().pk}/openslo").content.decode() == text

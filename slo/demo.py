"""``slo_demo_seed``: SLOs on the demo services' synthetic traffic (see ``sre/demo/traffic.py``).

``checkout-latency-1s`` asks 99.95% of checkout requests under 1 s while the generator keeps about 1%
above it (more in bursts): a 20x burn, so its page reaches the alerts ledger at the first evaluation
after the demo traffic arrives."""

from __future__ import annotations

from django.db import transaction

from slo.models import SLO, Service
from slo.services import slo_save

REQUESTS = "http_requests_total"
BUCKETS = "http_request_duration_seconds_bucket"


def _ratio(service: str) -> dict:
    return {"bad": f'{REQUESTS}{{service="{service}", code=~"5.."}}', "total": f'{REQUESTS}{{service="{service}"}}'}


DEMO_SLOS = (
    {
        "service": "checkout",
        "name": "checkout-availability",
        "display_name": "Checkout availability",
        "description": "Checkout requests answered without a 5xx.",
        "target": "0.999",
        "sli_kind": "ratio",
        "sli": _ratio("checkout"),
    },
    {
        "service": "checkout",
        "name": "checkout-latency-1s",
        "display_name": "Checkout under 1 s (burning)",
        "description": "Demo: an objective the generator cannot meet, so its budget burns at ~20x and pages.",
        "target": "0.9995",
        "sli_kind": "latency",
        "sli": {"selector": f'{BUCKETS}{{service="checkout"}}', "threshold": "1"},
    },
    {
        "service": "payments-api",
        "name": "payments-api-availability",
        "display_name": "Payments API availability",
        "target": "0.999",
        "sli_kind": "ratio",
        "sli": _ratio("payments-api"),
    },
    {
        "service": "search",
        "name": "search-latency-500ms",
        "display_name": "Search under 500 ms",
        "target": "0.95",
        "window_days": 28,
        "sli_kind": "latency",
        "sli": {"selector": f'{BUCKETS}{{service="search"}}', "threshold": "0.5"},
    },
    {
        "service": "search",
        "name": "search-good-minutes",
        "display_name": "Search good minutes (Timeslices)",
        "target": "0.99",
        "budgeting_method": "Timeslices",
        "timeslice_target": "0.99",
        "sli_kind": "ratio",
        "sli": {"good": f'{REQUESTS}{{service="search", code!~"5.."}}', "total": f'{REQUESTS}{{service="search"}}'},
    },
    {
        "service": "notifications",
        "name": "notifications-error-logs",
        "display_name": "Notifications log errors",
        "target": "0.9",
        "window_kind": "calendar",
        "calendar_unit": "week",
        "timezone": "Europe/Paris",
        "sli_kind": "log",
        "sli": {"service": "notifications", "bad_query": "", "bad_levels": ["error", "critical"]},
    },
)


def slo_demo_seed() -> int:
    """Create the demo SLOs that are missing (existing ones, maybe edited, are left alone); returns how
    many were created. Services missing are skipped (``demo_seed`` creates them first)."""
    created = 0
    with transaction.atomic():
        services = {s.name: s for s in Service.objects.filter(name__in={d["service"] for d in DEMO_SLOS})}
        names = [d["name"] for d in DEMO_SLOS]
        # SLO names repeat across services: an SLO is (service, name)
        existing = set(SLO.objects.filter(name__in=names).values_list("service__name", "name"))
        for spec in DEMO_SLOS:
            if (spec["service"], spec["name"]) in existing or spec["service"] not in services:
                continue
            slo_save(slo=None, data={**spec, "service": services[spec["service"]]})
            created += 1
    return created

"""Demo releases for ``make run``: idempotent, called from ``sre.demo.services.demo_seed``.

- ``checkout`` keeps the default policy (notices at 80/95/100%, freeze at exhaustion). Its demo SLO
  ``checkout-latency-1s`` spends its budget about 20 times over (``slo/demo.py``), so from the first evaluation with
  traffic its deploy gate says ``deny``, naming that SLO. A release recorded ten minutes before the demo starts is
  watched: the same burn is far above the 10× factor, so ``ReleaseBurn`` fires once (no rollback webhook is set in
  the demo: nothing leaves the machine).
- ``payments-api``: a demo responder overrode its gate for eight hours ("allow", with the override shown).
- ``search``: a policy of notices only (50/80/100%, no freeze, a release burn factor of 5).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction

from releases.models import BudgetPolicy, Deployment, GateOverride
from releases.services.deployments import deployment_record
from releases.services.gate import override_create
from releases.services.policies import policy_save
from slo.models import Service

DEPLOYMENTS = (
    ("checkout", "2026.12.1", dt.timedelta(hours=26), "Cart: saved addresses."),
    ("checkout", "2026.12.2", dt.timedelta(minutes=10), "Checkout: new payment step (demo: it burns the budget)."),
    ("payments-api", "3.4.0", dt.timedelta(hours=3), "Card authorisation: retry on timeouts."),
    ("search", "1.18.0", dt.timedelta(days=2), "Ranking tweaks."),
)


def releases_demo_seed(*, now: dt.datetime) -> None:
    """Create the demo deployments, override and policy where missing (a service that has any is left alone)."""
    services = {s.name: s for s in Service.objects.filter(name__in={d[0] for d in DEPLOYMENTS})}
    responder = get_user_model().objects.filter(username="demo-responder").first()
    with transaction.atomic():
        seeded = set(Deployment.objects.filter(service__in=services.values()).values_list("service__name", flat=True))
        for name, version, ago, description in DEPLOYMENTS:
            if name in services and name not in seeded:
                deployment_record(
                    service=services[name],
                    version=version,
                    at=now - ago,
                    url=f"https://git.example.com/{name}/releases/{version}",
                    description=description,
                    user=responder,
                    now=now,
                )
        payments = services.get("payments-api")
        if payments is not None and not GateOverride.objects.filter(service=payments).exists():
            override_create(
                service=payments,
                reason="Demo: hotfix for card declines must ship despite the spent budget.",
                expires_at=now + dt.timedelta(hours=8),
                user=responder,
                now=now,
            )
        search = services.get("search")
        if search is not None and not BudgetPolicy.objects.filter(service=search).exists():
            policy_save(
                policy=None,
                data={
                    "service": search,
                    "slo": None,
                    "thresholds": [50, 80, 100],
                    "freeze_on_exhaustion": False,
                    "release_burn_factor": 5,
                },
            )

"""``seed_demo`` creates one user per role, the demo services and the demo history, and running it twice changes
nothing."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from slo.models import SLO, Service
from sre.auth.roles import user_role


def test_seed_demo_is_idempotent(db) -> None:
    out = io.StringIO()
    call_command("seed_demo", history_days=0, stdout=out)
    assert "demo-viewer / sre-demo" in out.getvalue()
    users = {u.username: user_role(u) for u in get_user_model().objects.filter(username__startswith="demo-")}
    assert users == {"demo-viewer": "viewer", "demo-responder": "responder", "demo-admin": "admin"}
    services = set(Service.objects.values_list("name", flat=True))
    assert {"checkout", "payments-api", "search", "notifications"} <= services
    counts = (get_user_model().objects.count(), Service.objects.count())
    again = io.StringIO()
    call_command("seed_demo", history_days=0, stdout=again)
    assert "sre-demo" not in again.getvalue()
    assert (get_user_model().objects.count(), Service.objects.count()) == counts


def test_seed_demo_loads_history_once(db) -> None:
    out = io.StringIO()
    call_command("seed_demo", history_days=1, stdout=out)
    assert re.search(
        r"Demo history: 1 d of traffic \(\d+ rollup rows\), \d+ log lines, \d+ SLO snapshots", out.getvalue()
    )
    # ... and the SLOs are judged on it at once, without waiting for a worker's first evaluation.
    states = set(SLO.objects.filter(enabled=True).values_list("status__data_state", flat=True))
    assert states and "no_data" not in states and None not in states, states
    again = io.StringIO()
    call_command("seed_demo", history_days=1, stdout=again)
    assert "Demo history up to date." in again.getvalue()


def test_seed_demo_refuses_production(db, settings) -> None:
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo")


def test_ensure_admin_prints_password_once(db) -> None:
    out = io.StringIO()
    call_command("ensure_admin", stdout=out)
    password = out.getvalue().split("one-time password: ")[1].split()[0]
    admin = get_user_model().objects.get(username="admin")
    assert admin.check_password(password) and user_role(admin) == "admin"
    out = io.StringIO()
    call_command("ensure_admin", stdout=out)
    assert "already exists" in out.getvalue()

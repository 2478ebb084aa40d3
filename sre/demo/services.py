"""``demo_seed``: idempotent creation of the demo objects."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from alerts.demo import alerts_demo_seed
from drills.demo import drills_demo_ensure
from heartbeats.demo import heartbeats_demo_seed, heartbeats_demo_traffic
from incidents.demo import incidents_demo_seed
from oncall.demo import oncall_demo_seed
from releases.demo import releases_demo_seed
from rules.demo import rules_demo_seed
from slo.demo import slo_demo_seed
from slo.models import Service
from sre.choices import Role
from sre.demo.traffic import demo_minutes
from sre.services import user_set_role
from statuspage.demo import statuspage_demo_seed
from telemetry.domain.logs import validate_logs
from telemetry.domain.samples import validate_samples
from telemetry.services import logs_ingest, metrics_ingest

# Demo users get a known password on purpose (printed by make run); seed_demo refuses in production.
DEMO_PASSWORD = "sre-demo"  # noqa: S105

DEMO_SERVICES = (
    {"name": "checkout", "owner_team": "payments", "tier": 1, "description": "Cart and checkout web flow."},
    {"name": "payments-api", "owner_team": "payments", "tier": 1, "description": "Card authorisation API."},
    {"name": "search", "owner_team": "discovery", "tier": 2, "description": "Product search."},
    {"name": "notifications", "owner_team": "platform", "tier": 3, "description": "Email and push sender."},
)


@dataclass
class DemoSeedResult:
    users: dict[str, str] = field(default_factory=dict)  # username -> password (only for users created now)
    services_created: int = 0


def demo_seed(*, password: str) -> DemoSeedResult:
    """Create ``demo-viewer``, ``demo-responder``, ``demo-admin`` and the demo services if missing.

    Running it again changes nothing (existing users keep their passwords and roles are re-asserted).
    """
    result = DemoSeedResult()
    User = get_user_model()
    with transaction.atomic():
        for role in Role:
            username = f"demo-{role.value}"
            user, created = User.objects.get_or_create(username=username, defaults={"is_active": True})
            if created:
                user.set_password(password)
                user.is_staff = role == Role.ADMIN
                user.save()
                result.users[username] = password
            user_set_role(user=user, role=role)
        for spec in DEMO_SERVICES:
            _, created = Service.objects.get_or_create(name=spec["name"], defaults=spec)
            result.services_created += int(created)
        demo_traffic_schedule()
        slo_demo_seed()  # SLOs on the demo traffic, one of them burning
        statuspage_demo_seed()  # grouped components on the demo services and SLOs
        drills_demo_ensure()  # the built-in self-database drill + a broken demo target
        incidents_demo_seed()  # resolved + open incidents, postmortem, action items
        alerts_demo_seed()  # default routes: burn alerts reach the ledger
        oncall_demo_seed(now=timezone.now())  # a weekly rotation with an override, a policy on "paging"
        rules_demo_seed()  # a queue threshold, an error ratio, a log count, a log line rule
        heartbeats_demo_seed()  # "nightly-backup", pinged by the demo traffic
        releases_demo_seed(now=timezone.now())  # checkout's spent budget freezes it; deployments, override
    return result


DEMO_TRAFFIC_TASK = "demo-traffic"
DEMO_TRAFFIC_SEED = 7
DEMO_TRAFFIC_LOOKBACK_MINUTES = 15


def demo_traffic_schedule() -> None:
    """Create (or re-assert) the beat entry that runs ``telemetry.demo_traffic`` every
    ``SRE["DEMO_TRAFFIC_INTERVAL"]`` seconds. Idempotent: one PeriodicTask named ``demo-traffic``."""
    every = settings.SRE["DEMO_TRAFFIC_INTERVAL"]
    interval, _ = IntervalSchedule.objects.get_or_create(every=every, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.update_or_create(
        name=DEMO_TRAFFIC_TASK,
        defaults={"task": "telemetry.demo_traffic", "interval": interval, "enabled": True},
    )


@dataclass
class DemoTrafficResult:
    minutes: int = 0
    samples: int = 0
    logs: int = 0
    heartbeat: str = ""  # what the demo backup job did this minute (heartbeats.demo)


def demo_traffic_push(*, now) -> DemoTrafficResult:
    """Push the generator's metrics and logs for the last ``DEMO_TRAFFIC_LOOKBACK_MINUTES`` whole minutes
    through the same ingest services as the API. Each minute carries its own batch ids, so a minute
    already pushed is skipped and a missed run is caught up."""
    end = int(now.timestamp()) // 60 * 60
    start = end - DEMO_TRAFFIC_LOOKBACK_MINUTES * 60
    services = [spec["name"] for spec in DEMO_SERVICES]
    result = DemoTrafficResult()
    now_ts = now.timestamp()
    for minute in demo_minutes(seed=DEMO_TRAFFIC_SEED, start=start, end=end, services=services):
        pushed = metrics_ingest(
            samples=validate_samples(minute.samples, now=now_ts),
            scope="system",
            batch_id=f"demo-metrics-{minute.minute}",
            now=now,
        )
        logged = logs_ingest(
            records=validate_logs(minute.logs, now=now_ts),
            scope="system",
            batch_id=f"demo-logs-{minute.minute}",
            now=now,
        )
        if not pushed.duplicate:
            result.minutes += 1
            result.samples += pushed.accepted
        if not logged.duplicate:
            result.logs += logged.accepted

    # the demo backup job: runs, goes silent, fails, recovers
    result.heartbeat = heartbeats_demo_traffic(now=now)
    return result

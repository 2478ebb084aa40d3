"""``manage.py seed_demo``: demo users (one per role), services, SLOs, incidents, ... and 30 days of demo
history (traffic, logs of the last day, SLO budget history). Idempotent: a second run adds nothing, and a
run after a day away fills only that day."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from slo.services import slo_evaluate_all
from sre.demo.history import HISTORY_DAYS, demo_history_backfill
from sre.demo.services import DEMO_PASSWORD, demo_seed
from sre.domain.timewords import duration_words


class Command(BaseCommand):
    help = "Create the demo users, services, traffic generator and 30 days of history (safe to run again)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--password", default=DEMO_PASSWORD, help="Password for newly created demo users.")
        parser.add_argument("--force", action="store_true", help="Allow seeding when SRE_ENV=production.")
        parser.add_argument(
            "--history-days",
            type=int,
            default=HISTORY_DAYS,
            help=f"Days of demo traffic to backfill (default {HISTORY_DAYS}; 0 for none).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION and not options["force"]:
            raise CommandError("Refusing to create demo users with a known password in production (use --force).")
        result = demo_seed(password=options["password"])
        for username, password in result.users.items():
            self.stdout.write(f"Demo user {username} / {password}")
        self.stdout.write(f"Demo ready ({result.services_created} services created).")
        if options["history_days"] > 0:
            history = demo_history_backfill(now=timezone.now(), days=options["history_days"])
            self.stdout.write(history_line(history))
            # Budgets from that history now, not at the worker's first minute (``serve`` queues the same task):
            # with ``runserver`` and no worker, every SLO said "no traffic measured" over days of traffic.
            slo_evaluate_all(now=timezone.now())


def history_line(history: Any) -> str:
    """One line saying what the backfill did (nothing, on a second run)."""
    if not history.minutes:
        return "Demo history up to date."
    return (
        f"Demo history: {duration_words(history.minutes * 60)} of traffic ({history.rows} rollup rows), "
        f"{history.logs} log lines, {history.snapshots} SLO snapshots in {history.seconds:.1f} s."
    )

"""``manage.py seed_demo``: demo users (one per role), services and synthetic traffic. Idempotent."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sre.demo.services import DEMO_PASSWORD, demo_seed


class Command(BaseCommand):
    help = "Create the demo users, services and traffic generator (safe to run again)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--password", default=DEMO_PASSWORD, help="Password for newly created demo users.")
        parser.add_argument("--force", action="store_true", help="Allow seeding when SRE_ENV=production.")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION and not options["force"]:
            raise CommandError("Refusing to create demo users with a known password in production (use --force).")
        result = demo_seed(password=options["password"])
        for username, password in result.users.items():
            self.stdout.write(f"Demo user {username} / {password}")
        self.stdout.write(f"Demo ready ({result.services_created} services created).")

"""``manage.py create_api_token --user NAME --scopes ingest,read,write`` prints a new token once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from sre.errors import DomainError
from sre.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token for a user and print it (it is stored hashed and never shown again)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--user", required=True, help="Username the token acts as.")
        parser.add_argument("--scopes", required=True, help="Comma-separated: ingest, read, write.")
        parser.add_argument("--name", default="", help="What uses the token (default: cli-<scopes>).")
        parser.add_argument("--expires-in-days", type=int, default=None, help="Optional lifetime in days.")

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        try:
            user = User.objects.get(username=options["user"])
        except User.DoesNotExist:
            raise CommandError(f"No user named {options['user']!r}.") from None
        scopes = [s.strip() for s in options["scopes"].split(",") if s.strip()]
        now = timezone.now()
        days = options["expires_in_days"]
        if days is not None and days <= 0:
            raise CommandError("--expires-in-days must be a positive number of days.")
        expires_at = now + dt.timedelta(days=days) if days else None
        try:
            _, plaintext = api_token_create(
                user=user,
                name=options["name"] or f"cli-{'-'.join(scopes)}",
                scopes=scopes,
                expires_at=expires_at,
                now=now,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(plaintext)

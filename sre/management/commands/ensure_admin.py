"""``manage.py ensure_admin``: create the first admin with a one-time password if no superuser exists."""

from typing import Any

from django.core.management.base import BaseCommand

from sre.services import admin_bootstrap


class Command(BaseCommand):
    help = "Create user 'admin' with a random password (printed once) if there is no superuser yet."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", default="admin")

    def handle(self, *args: Any, **options: Any) -> None:
        password = admin_bootstrap(username=options["username"])
        if password is None:
            self.stdout.write("An admin account already exists; nothing to do.")
        else:
            self.stdout.write(f"Created admin account '{options['username']}' with one-time password: {password}")
            self.stdout.write("It must be changed at the first sign-in (the app asks for a new one).")

"""``manage.py upgrade``: the install and upgrade step of a release — ``migrate``, then the defaults every
installation has (today: the drill of the control plane's own database, scheduled, RTO 4 h and RPO 15 min).

Idempotent: run it once per release, before the new web nodes and workers start. A default already there is
left as it is (edited, disabled); one deleted comes back at the next upgrade — disable it to stop it."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from drills.demo import self_target_ensure
from sre.domain.timewords import duration_words


class Command(BaseCommand):
    help = "Apply migrations, then create the defaults every installation has (the self-database restore drill)."

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=options["verbosity"])
        target = self_target_ensure()
        self.stdout.write(
            f"Restore drill of this control plane's database: '{target.name}', "
            f"{'scheduled ' + target.schedule + ' (UTC)' if target.schedule else 'not scheduled'}"
            f"{'' if target.enabled else ', disabled'}; RTO target {duration_words(target.rto_target_seconds)}, "
            f"RPO target {duration_words(target.rpo_target_seconds)}."
        )

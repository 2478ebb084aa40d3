"""Sync the status page and render its static snapshot once (e.g. from cron, or before syncing to a CDN)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from statuspage.services import sync_run


class Command(BaseCommand):
    help = "Render the status page snapshot now (and run the status page sync)."

    def handle(self, *args, **options) -> None:
        result = sync_run(now=timezone.now())
        self.stdout.write(f"Rendered {result['files']} files.")

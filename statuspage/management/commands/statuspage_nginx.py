"""Print the nginx ``location /status/`` block that serves the status page snapshot."""

from django.core.management.base import BaseCommand

from statuspage import conf
from statuspage.nginx import location_block


class Command(BaseCommand):
    help = "Print an nginx location block serving the status page snapshot directory under /status/."

    def handle(self, *args, **options) -> None:
        self.stdout.write(location_block(conf.snapshot_dir()))

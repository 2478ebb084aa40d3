"""``manage.py oncall_import --from grafana|pagerduty FILE [--dry-run]``: import schedules and escalation
policies from Grafana OnCall or PagerDuty API JSON (see ``oncall.services.imports``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils import timezone

from oncall.services.imports import SOURCES, ImportReport, oncall_import
from sre.errors import InvalidInputError

MAX_BYTES = 10 * 1024 * 1024  # the API's body limit


class Command(BaseCommand):
    help = "Import on-call schedules and escalation policies from Grafana OnCall or PagerDuty API JSON."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--from", dest="source", required=True, choices=SOURCES, help="The format of FILE.")
        parser.add_argument("file", help="A JSON document ('-' reads stdin).")
        parser.add_argument("--dry-run", action="store_true", help="Report what would be created; change nothing.")

    def handle(self, *args, source: str, file: str, dry_run: bool, **options) -> None:
        try:
            raw = sys.stdin.buffer.read(MAX_BYTES + 1) if file == "-" else _read(Path(file))
            if len(raw) > MAX_BYTES:
                raise ValueError(f"larger than {MAX_BYTES // (1024 * 1024)} MB")
            document = json.loads(raw.decode("utf-8"))
        except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            self._fail(f"{file}: cannot read a JSON document: {exc}")
        try:
            report = oncall_import(source=source, document=document, dry_run=dry_run, now=timezone.now())
        except InvalidInputError as exc:
            self._fail(f"{file}: {exc.message}")
        self.stdout.write(report_text(report))

    def _fail(self, message: str) -> None:
        self.stderr.write(message)
        sys.exit(2)


def _read(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(MAX_BYTES + 1)


def report_text(report: ImportReport) -> str:
    verb = "Would create" if report.dry_run else "Created"
    lines = [f"{verb} (from {report.source}{', dry run: nothing saved' if report.dry_run else ''}):"]
    for kind, names in report.created.items():
        lines.append(f"  {kind}: {len(names)}")
        lines.extend(f"    - {name}" for name in names)
    lines.append(f"People matched by email: {len(report.people)}")
    lines.extend(f"    - {source_id} → {username}" for source_id, username in sorted(report.people.items()))
    lines.append(f"Not imported or not exactly ({len(report.unmapped)}):")
    lines.extend(f"    - {u.item}: {u.reason}" for u in report.unmapped)
    return "\n".join(lines)

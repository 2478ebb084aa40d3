"""``manage.py import_openslo FILE...``: upsert services and SLOs from OpenSLO v1 YAML files."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from slo.interchange import openslo_import
from sre.errors import DomainError


class Command(BaseCommand):
    help = "Import SLO files (OpenSLO v1, Sloth, Pyrra); upsert services by name and SLOs by service and name."

    def add_arguments(self, parser) -> None:
        parser.add_argument("files", nargs="+", help="YAML files (multi-document); '-' reads stdin")
        parser.add_argument("--dry-run", action="store_true", help="Validate and report, change nothing.")

    def handle(self, *args, files: list[str], dry_run: bool, **options) -> None:
        texts = []
        for name in files:
            if name == "-":
                import sys

                texts.append(sys.stdin.read())
                continue
            try:
                texts.append(Path(name).read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"{name}: {exc}") from None
        try:
            report = openslo_import(text="\n---\n".join(texts), dry_run=dry_run)
        except DomainError as exc:
            details = "\n".join(f"  - {line}" for lines in exc.fields.values() for line in lines)
            raise CommandError(f"{exc.message}\n{details}") from None
        for key, label in (
            ("failed", "not imported"),
            ("skipped", "skipped"),
            ("unsupported", "unsupported (ignored)"),
        ):
            for line in report.get(key, []):
                self.stderr.write(f"{label}: {line}")
        listed = ("unsupported", "skipped", "failed")
        self.stdout.write(json.dumps({k: v for k, v in report.items() if k not in listed}, indent=2))

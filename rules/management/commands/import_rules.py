"""``manage.py import_rules FILE...``: upsert alerting rules from Prometheus rule files; ``--export`` prints them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from rules.choices import RuleSource
from rules.services.files import rules_export_text, rules_import
from sre.errors import DomainError


class Command(BaseCommand):
    help = "Import Prometheus rule files (groups of alerting rules), upserting by group and name; or --export."

    def add_arguments(self, parser) -> None:
        parser.add_argument("files", nargs="*", help="rule files; '-' reads stdin")
        parser.add_argument("--dry-run", action="store_true", help="Validate and report, change nothing.")
        parser.add_argument(
            "--source", choices=RuleSource.values, default=RuleSource.LOCAL,
            help="local: evaluate over the stored metrics; prometheus: run on PROMETHEUS_URL unchanged.",
        )  # fmt: skip
        parser.add_argument("--export", action="store_true", help="Print the metric rules as a rule file.")

    def handle(self, *args, files: list[str], dry_run: bool, source: str, export: bool, **options) -> None:
        if export:
            self.stdout.write(rules_export_text(), ending="")
            return
        if not files:
            raise CommandError("Name at least one rule file (or '-' for stdin), or use --export.")
        for name in files:
            try:
                text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"{name}: {exc}") from None
            try:
                report = rules_import(text=text, source=source, dry_run=dry_run)
            except DomainError as exc:
                details = "\n".join(f"  - {line}" for lines in exc.fields.values() for line in lines)
                raise CommandError(f"{name}: {exc.message}\n{details}") from None
            for line in report["unsupported"]:
                self.stderr.write(f"{name}: unsupported (skipped): {line}")
            self.stdout.write(json.dumps({"file": name, **{k: v for k, v in report.items() if k != "unsupported"}}))

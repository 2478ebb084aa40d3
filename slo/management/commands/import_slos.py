"""``manage.py import_slos FILE...``: upsert services and SLOs from OpenSLO v1, Sloth and Pyrra YAML files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml
from django.core.management.base import BaseCommand, CommandError

from slo.domain.sloth import alert_windows_document
from slo.domain.windows import DAY
from slo.interchange import openslo_import
from sre.errors import DomainError

SLOTH_PERIODS = {"30d": 30 * DAY, "28d": 28 * DAY}


class Command(BaseCommand):
    help = (
        "Import SLO files (OpenSLO v1, Sloth prometheus/v1 specs and PrometheusServiceLevel CRDs, Pyrra "
        "ServiceLevelObjective CRDs); upsert services by name and SLOs by service and name."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("files", nargs="+", help="YAML files (multi-document); '-' reads stdin")
        parser.add_argument("--dry-run", action="store_true", help="Validate and report, change nothing.")
        parser.add_argument(
            "--sloth-period",
            choices=sorted(SLOTH_PERIODS),
            help="The SLO period of Sloth specs, as sloth's --default-slo-period (30d when not given; a Sloth "
            "AlertWindows document among the files sets it too).",
        )

    def handle(self, *args, files: list[str], dry_run: bool, sloth_period: str | None, **options) -> None:
        texts = []
        for name in files:
            if name == "-":
                texts.append(sys.stdin.read())
                continue
            try:
                texts.append(Path(name).read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"{name}: {exc}") from None
        if sloth_period:
            texts.append(yaml.safe_dump(alert_windows_document(SLOTH_PERIODS[sloth_period]), sort_keys=False))
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

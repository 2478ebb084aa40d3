"""``manage.py import_openslo FILE...``: the former name of ``import_slos`` (every format, same options)."""

from __future__ import annotations

from slo.management.commands.import_slos import Command as ImportSlos


class Command(ImportSlos):
    help = "Same as import_slos (OpenSLO v1, Sloth and Pyrra files); kept for scripts that use this name."

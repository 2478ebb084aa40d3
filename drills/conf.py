"""The drills app's tunables, read from ``settings.SRE`` with documented defaults."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

DEFAULTS = {
    # Seconds between a running drill's heartbeats; the reaper ends a run silent for 1.5 intervals and runs
    # every half interval, so a dead worker's run is marked error within two intervals.
    "DRILL_HEARTBEAT_INTERVAL": 10,
    # A queued drill that no worker started within this many seconds ends as error.
    "DRILL_QUEUE_TIMEOUT": 3600,
    # Where runs put dumps, copies and restored files (one folder per run, removed afterwards).
    "DRILL_SCRATCH_DIR": "",
    # Whether targets of kind ``command`` (arbitrary shell commands run by the worker) may be created: off
    # unless the installation opts in (SRE_DRILL_COMMAND_TARGETS=true), as an admin could otherwise run any
    # command on every worker.
    "DRILL_COMMAND_TARGETS": False,
}


def setting(name: str):
    return settings.SRE.get(name, DEFAULTS[name])


def heartbeat_interval() -> float:
    return float(setting("DRILL_HEARTBEAT_INTERVAL"))


def scratch_root() -> Path:
    configured = setting("DRILL_SCRATCH_DIR")
    return Path(configured) if configured else Path(settings.VAR_DIR) / "drills" / "scratch"

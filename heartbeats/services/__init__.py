"""Writes of the heartbeats app. Every state change goes through one of these modules:

- ``checks``: create, update, delete, pause, resume, new ping URL (configuration, audited);
- ``pings``: a ping received (``heartbeat_ping``), under the check's row lock;
- ``alerting``: bring the alerts app in line with what a check wants firing (``heartbeat_alert_sync``);
- ``evaluation``: the periodic pass that moves overdue checks to late and down (``heartbeats_check``).
"""

from heartbeats.services.alerting import heartbeat_alert_sync
from heartbeats.services.checks import (
    check_delete,
    check_pause,
    check_ping_key_regenerate,
    check_resume,
    check_save,
)
from heartbeats.services.evaluation import heartbeats_check
from heartbeats.services.pings import heartbeat_ping, ping_key_parse

__all__ = [
    "check_delete",
    "check_pause",
    "check_ping_key_regenerate",
    "check_resume",
    "check_save",
    "heartbeat_alert_sync",
    "heartbeat_ping",
    "heartbeats_check",
    "ping_key_parse",
]

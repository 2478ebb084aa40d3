"""The Celery queues and which task goes to which, so a long drill never waits in front of a page.

Production runs a worker per queue (``celery -A sre worker -Q delivery``, see README "Deploying"); ``make run``
runs one worker consuming them all. A task missing from ``ROUTES`` goes to ``default``; tests/sre/test_queues.py
checks that every registered task is routed to one of ``QUEUES``.
"""

from __future__ import annotations

from kombu import Queue

DELIVERY = "delivery"  # pages and notifications out: alert receivers, on-call escalations and their deliveries
EVALUATION = "evaluation"  # SLOs, alert rules, heartbeat checks, release gates
STATUSPAGE = "statuspage"  # the public page's sync and snapshot, subscriber notifications
DRILLS = "drills"  # restore drills: one may run for up to 24 hours
DEFAULT = "default"  # the rest: retention, incident policy, the heartbeat, demo traffic, drill scheduling/reaping

QUEUES: tuple[str, ...] = (DELIVERY, EVALUATION, STATUSPAGE, DRILLS, DEFAULT)

ROUTES: dict[str, str] = {
    "alerts.deliver": DELIVERY,
    "alerts.tick": DELIVERY,  # flushes due groups and re-queues the outbox: part of getting a page out
    "oncall.advance": DELIVERY,
    "oncall.page": DELIVERY,
    "oncall.deliver": DELIVERY,
    "oncall.webhook": DELIVERY,
    "oncall.tick": DELIVERY,
    "slo.evaluate": EVALUATION,
    "rules.evaluate": EVALUATION,
    "heartbeats.check": EVALUATION,
    "releases.evaluate": EVALUATION,
    "statuspage.sync": STATUSPAGE,
    "statuspage.deliver": STATUSPAGE,
    "drills.run": DRILLS,
    # drills.scheduled only queues a run and drills.reap must end runs whose worker died even while the drills
    # queue is busy, so both stay on the default queue.
    "drills.scheduled": DEFAULT,
    "drills.reap": DEFAULT,
    "incidents.policy_evaluate": DEFAULT,
    "incidents.policy_sweep": DEFAULT,
    "releases.rollback": DEFAULT,
    "oncall.ical_refresh": DEFAULT,
    "sre.heartbeat": DEFAULT,
    "telemetry.retention": DEFAULT,
    "telemetry.demo_traffic": DEFAULT,
    "slo.retention": DEFAULT,
    "audit.retention": DEFAULT,
}


def task_routes() -> dict[str, dict[str, str]]:
    """``CELERY_TASK_ROUTES``: task name to its queue."""
    return {name: {"queue": queue} for name, queue in ROUTES.items()}


def task_queues() -> list[Queue]:
    """``CELERY_TASK_QUEUES``: every queue declared, so a worker started without ``-Q`` consumes them all."""
    return [Queue(name, routing_key=name) for name in QUEUES]

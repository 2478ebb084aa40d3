"""Every task goes to a declared queue, and a drill never shares one with a page (sre/queues.py)."""

from __future__ import annotations

import pytest

from sre.celery import app
from sre.management.commands.serve import child_commands
from sre.queues import DEFAULT, QUEUES, ROUTES


@pytest.fixture(scope="module")
def registered() -> set[str]:
    app.loader.import_default_modules()  # every app's tasks.py (autodiscovery is lazy)
    # The product's tasks; a test module may register a probe task of its own (tests.*) when the whole suite runs.
    return {name for name in app.tasks if not name.startswith(("celery.", "tests."))}


def _queue_of(name: str) -> str:
    route = app.amqp.router.route({}, name)
    return route["queue"].name


def test_every_registered_task_is_routed_by_name_to_a_declared_queue(registered):
    assert len(registered) >= 25  # the tasks of every app, not an empty registry
    missing = sorted(registered - set(ROUTES))
    assert missing == [], f"tasks without a route (they would fall to {DEFAULT!r} unnoticed): {missing}"
    undeclared = {name: _queue_of(name) for name in registered if _queue_of(name) not in QUEUES}
    assert undeclared == {}


def test_every_route_names_a_real_task(registered):
    assert sorted(set(ROUTES) - registered) == []


def test_the_declared_queues_are_what_a_worker_without_q_consumes():
    assert [queue.name for queue in app.conf.task_queues] == list(QUEUES)
    assert app.conf.task_default_queue == DEFAULT
    assert _queue_of("no.such.task") == DEFAULT


def test_a_drill_and_a_page_go_to_different_queues():
    drill = _queue_of("drills.run")
    pages = {_queue_of(name) for name in ("alerts.deliver", "alerts.tick", "oncall.deliver", "oncall.advance")}
    assert pages == {"delivery"} and drill == "drills"
    # The reaper ends runs whose worker died, so it must not wait behind a 24-hour drill.
    assert _queue_of("drills.reap") != drill
    # Evaluation and the status page have queues of their own too.
    assert _queue_of("slo.evaluate") == _queue_of("rules.evaluate") == "evaluation"
    assert _queue_of("statuspage.sync") == "statuspage"


def test_make_runs_one_worker_consumes_every_queue():
    worker = child_commands(bind="127.0.0.1:1", web_workers=1, level="WARNING")["worker"]
    assert worker[worker.index("--queues") + 1].split(",") == list(QUEUES)

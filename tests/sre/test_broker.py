"""The embedded filesystem broker delivers every message exactly once between processes, and a bad file
in the queue folder never stops a consumer."""

from __future__ import annotations

import multiprocessing
import os
import queue as queue_module
from pathlib import Path

from kombu import Connection

from sre import broker
from sre.config import filesystem_transport_options

PER_PRODUCER = 1500


def _produce(options: dict, producer: int) -> None:
    with Connection("filesystem://", transport_options=options) as conn:
        simple = conn.SimpleQueue("race")
        for number in range(PER_PRODUCER):
            simple.put({"producer": producer, "number": number})


def _consume(options: dict, results) -> None:
    received = []
    with Connection("filesystem://", transport_options=options) as conn:
        simple = conn.SimpleQueue("race")
        while True:
            try:
                message = simple.get(timeout=3)
            except queue_module.Empty:
                break
            received.append((message.payload["producer"], message.payload["number"]))
            message.ack()
    results.put(received)


def test_filesystem_alias_points_at_the_safe_transport() -> None:
    assert type(Connection("filesystem://").transport) is broker.Transport


def test_two_producers_and_two_consumers_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    options = filesystem_transport_options(tmp_path, polling_interval=0.01)
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    consumers = [context.Process(target=_consume, args=(options, results)) for _ in range(2)]
    producers = [context.Process(target=_produce, args=(options, number)) for number in range(2)]
    for process in consumers + producers:
        process.start()
    received = results.get(timeout=120) + results.get(timeout=120)
    for process in consumers + producers:
        process.join(timeout=30)
    assert [process.exitcode for process in consumers + producers] == [0, 0, 0, 0]
    assert len(received) == len(set(received)) == 2 * PER_PRODUCER
    assert [name for name in os.listdir(tmp_path / "queue") if not name.startswith(".")] == []


def test_half_written_and_undecodable_files_are_skipped(tmp_path: Path, caplog) -> None:
    options = filesystem_transport_options(tmp_path, polling_interval=0.01)
    folder = tmp_path / "queue"
    with Connection("filesystem://", transport_options=options) as conn:
        simple = conn.SimpleQueue("skip")
        (folder / f"{broker.STAGING_PREFIX}1_x.skip.msg").write_bytes(b'{"body": ')  # a writer mid-way
        (folder / "0_broken.skip.msg").write_bytes(b"")  # what kombu's own writer could leave behind
        simple.put({"ok": True})
        message = simple.get(timeout=5)
        assert message.payload == {"ok": True}
        message.ack()
    assert "undecodable message file" in caplog.text
    assert (folder / f"{broker.STAGING_PREFIX}1_x.skip.msg").exists()
    assert (folder / f"{broker.CLAIMED_PREFIX}0_broken.skip.msg").exists()

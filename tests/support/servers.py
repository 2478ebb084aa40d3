"""Start real server binaries for integration tests, or skip (fail under SRE_REQUIRE_INTEGRATION=1)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable

import pytest


def integration_required() -> bool:
    return os.environ.get("SRE_REQUIRE_INTEGRATION") == "1"


def unavailable(reason: str) -> None:
    """Skip with ``reason``, or fail when CI requires every integration test to run."""
    if integration_required():
        pytest.fail(f"SRE_REQUIRE_INTEGRATION=1 but {reason}")
    pytest.skip(reason)


def require_binary(name: str, *candidates: str) -> str:
    """The path of a server binary, or skip/fail naming the Debian package to install."""
    for candidate in (name, *candidates):
        path = shutil.which(candidate) or (candidate if os.path.isfile(candidate) else None)
        if path:
            return path
    unavailable(f"'{name}' is not installed (apt-get install it; .ci/run does)")
    raise AssertionError("unreachable")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_for(condition: Callable[[], object], *, timeout: float, interval: float = 0.1, what: str = "condition"):
    """Poll until ``condition()`` is truthy and return its value; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def stop_process(process: subprocess.Popen, *, timeout: float = 10) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

#!/usr/bin/env python
"""Pictures of the main pages for the README: ``make screenshots`` (or ``.venv/bin/python scripts/screenshots.py``).

Targets a running instance (``--base http://127.0.0.1:8000``) or, without ``--base``, starts its own
``manage.py serve`` on a fresh data directory (the demo with its 30 days of history), waits for it to be ready,
takes the pictures and stops it. Signs in as the demo users (``demo-responder``; the status page admin as
``demo-admin``), and saves each page at 1280 x 800 (``<name>.png``) and 390 x 844 (``<name>-phone.png``) into
``docs/screenshots/``. Uses the system Chromium (``/usr/bin/chromium``, or ``$CHROMIUM``) through Playwright;
it never downloads a browser.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
DEMO_PASSWORD = "sre-demo"  # noqa: S105 - the demo's published password (sre/demo/services.py)
SIZES = {"": {"width": 1280, "height": 800}, "-phone": {"width": 390, "height": 844}}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def _own_instance() -> Iterator[str]:
    """``manage.py serve`` on a temporary data directory until the block ends."""
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="sre-screenshots-") as var:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "SRE_ENV")}
        env.update({"SRE_VAR_DIR": var, "PYTHONUNBUFFERED": "1"})
        log = Path(var) / "serve.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, "manage.py", "serve", "--port", str(port), "--web-workers", "2"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            try:
                deadline = time.monotonic() + 300
                while "running at" not in log.read_text():
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit("manage.py serve did not start:\n" + log.read_text()[-3000:])
                    time.sleep(0.5)
                yield f"http://127.0.0.1:{port}"
            finally:
                process.send_signal(signal.SIGINT)
                process.wait(timeout=60)


def _login(page: Page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def _first_link(page: Page, base: str, path: str, pattern: str, prefer: str = "") -> str:
    """The first link on ``path`` whose href matches ``pattern`` (one whose text contains ``prefer`` if any)."""
    page.goto(base + path)
    links = page.eval_on_selector_all("a[href]", "els => els.map(e => [e.getAttribute('href'), e.textContent])")
    hrefs = [(href, text or "") for href, text in links if re.fullmatch(pattern, href.split("?")[0])]
    if not hrefs:
        return path
    preferred = [href for href, text in hrefs if prefer and prefer in text]
    return (preferred or [hrefs[0][0]])[0]


def _shoot(page: Page, base: str, path: str, name: str, out: Path, scroll_to: str = "") -> list[Path]:
    """``path`` at each size; with ``scroll_to`` (a heading's text) that part of the page at the top."""
    saved = []
    for suffix, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        # Plotly draws after load: wait until every chart container on the page has its SVG (none: no wait).
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('[data-slo-chart], [data-chart]'))"
            ".every(el => el.querySelector('.main-svg'))",
            timeout=20000,
        )
        if scroll_to:
            page.get_by_role("heading", name=scroll_to).first.evaluate("e => e.scrollIntoView({block: 'start'})")
        target = out / f"{name}{suffix}.png"
        page.screenshot(path=str(target))
        saved.append(target)
    return saved


def take(base: str, out: Path, chromium: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=SIZES[""])
            _login(page, base, "demo-responder")
            slo = _first_link(page, base, "/slos/", r"/slos/\d+/", prefer="Checkout availability")
            pages = [
                ("overview", "/", ""),
                ("alerts", "/alerts/", ""),
                ("alert-group", _first_link(page, base, "/alerts/", r"/alerts/groups/\d+/"), ""),
                ("slos", "/slos/", ""),
                ("slo", slo + "?range=30d", ""),
                ("slo-charts", slo + "?range=30d", "Budget burn-down"),
                ("incidents", "/incidents/", ""),
                ("incident", _first_link(page, base, "/incidents/", r"/incidents/\d+/", prefer="Checkout 5xx"), ""),
                ("insights", "/incidents/insights/", ""),
                ("oncall", "/oncall/", ""),
            ]
            for name, path, scroll_to in pages:
                saved += _shoot(page, base, path, name, out, scroll_to)
            _login(page, base, "demo-admin")
            saved += _shoot(page, base, "/statuspage/", "statuspage-admin", out)
            page.context.clear_cookies()
            saved += _shoot(page, base, "/status/", "status-public", out)
        finally:
            browser.close()
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", help="URL of a running instance with the demo loaded (default: start one)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    args = parser.parse_args()
    if not Path(args.chromium).exists():
        raise SystemExit(f"Chromium not found at {args.chromium} (set --chromium or $CHROMIUM).")
    if args.base:
        urllib.request.urlopen(args.base.rstrip("/") + "/healthz", timeout=10)  # noqa: S310 - fail early
        saved = take(args.base.rstrip("/"), args.out, args.chromium)
    else:
        with _own_instance() as base:
            saved = take(base, args.out, args.chromium)
    for path in saved:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


if __name__ == "__main__":
    main()

"""Modules stay small (STYLE.md: under ~500 lines; split into a package before 1,000): app code over the limit
fails here with its length, so a module is split when it grows, not when someone notices."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("sre", "telemetry", "slo", "alerts", "incidents", "statuspage", "drills", "oncall", "rules", "heartbeats",
        "releases")  # fmt: skip
LIMIT = 500


def app_modules() -> list[Path]:
    return sorted(p for app in APPS for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts)


def too_long(paths: list[Path], *, limit: int) -> list[str]:
    out = []
    for path in paths:
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > limit:
            out.append(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {lines} lines")
    return out


def test_every_app_exists_and_has_modules() -> None:
    assert all((ROOT / app / "__init__.py").is_file() for app in APPS)
    assert len(app_modules()) > 100


def test_no_app_module_over_the_limit() -> None:
    assert too_long(app_modules(), limit=LIMIT) == []


def test_the_check_fails_on_a_long_module(tmp_path: Path) -> None:
    long = tmp_path / "long.py"
    long.write_text("x = 1\n" * (LIMIT + 1))
    short = tmp_path / "short.py"
    short.write_text("x = 1\n" * LIMIT)
    assert too_long([long, short], limit=LIMIT) == [f"{long}: {LIMIT + 1} lines"]

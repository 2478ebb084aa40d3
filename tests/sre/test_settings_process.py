"""Settings as a fresh process sees them: start-up errors name the variable; production passes check --deploy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    drop = ("SRE_", "DATABASE_URL", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE", "PROMETHEUS_MULTIPROC_DIR")
    base = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    base.update({"SRE_VAR_DIR": str(tmp_path)})
    base.pop("CELERY_BROKER_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_check_deploy(tmp_path: Path) -> None:
    env = {
        "SRE_ENV": "production",
        "SECRET_KEY": "k3y-" + "x9Qz7Lm2Vb8Np4Rt6Ws1Yc5Ud0Ef3Gh-" * 2,
        "ALLOWED_HOSTS": "sre.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path}/prod.sqlite3",
        "EMAIL_URL": "smtp://mailer:secret@smtp.example.com:587?tls=1",
    }
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env, tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_without_secret_key_stops_naming_it(tmp_path: Path) -> None:
    result = _manage("check", env={"SRE_ENV": "production", "ALLOWED_HOSTS": "x.example"}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr and "expected" in result.stderr


def test_malformed_value_stops_start_up_naming_variable(tmp_path: Path) -> None:
    result = _manage("check", env={"TIME_ZONE": "Not/AZone"}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "TIME_ZONE" in result.stderr and "IANA time zone" in result.stderr
    result = _manage("check", env={"DATABASE_URL": "mysql://db/x"}, tmp_path=tmp_path)
    assert "DATABASE_URL" in result.stderr

"""Dependencies: every third-party package the code imports is a direct dependency in the human-edited inputs
(requirements*.in), the locks compiled from them pin those versions with hashes, and the Elasticsearch client is
an extra whose absence stops start-up with a clear message when the Elasticsearch log store is configured."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from sre import config

ROOT = Path(__file__).resolve().parents[2]
APPS = ("sre", "telemetry", "slo", "alerts", "incidents", "statuspage", "drills", "oncall", "rules", "heartbeats")
APPS += ("releases",)
DEV_CODE = ("tests", "bench", "scripts")
# The extra's client: only the backend that uses it may import it (lazily chosen by telemetry.logstore).
ELASTICSEARCH_IMPORTERS = {"telemetry/logstore/elasticsearch.py"}
FIRST_PARTY = {path.name for path in ROOT.iterdir() if path.is_dir() or path.suffix == ".py"}
FIRST_PARTY |= {path.stem for path in ROOT.glob("*.py")}


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(path: Path) -> set[str]:
    """Distribution names required by a requirements input, following ``-r`` (not ``-c``: a constraint requires
    nothing)."""
    names: set[str] = set()
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith(("-c", "--constraint")):
            continue
        if line.startswith(("-r", "--requirement")):
            names |= declared(path.parent / line.split(None, 1)[1].strip())
            continue
        match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line)
        assert match, f"{path.name}: cannot read {raw!r}"
        names.add(_normalize(match.group()))
    return names


def imported_top_levels(source: str) -> set[str]:
    """Top-level names of every absolute import in ``source`` (in-function ones too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def undeclared(files: dict[str, str], *, allowed: set[str], mapping: dict[str, list[str]]) -> dict[str, list[str]]:
    """``{top-level module: [files]}`` for third-party imports none of whose distributions is in ``allowed``
    (a module no installed distribution provides counts as undeclared too)."""
    missing: dict[str, list[str]] = {}
    for name, source in sorted(files.items()):
        for module in imported_top_levels(source):
            if module in sys.stdlib_module_names or module in FIRST_PARTY or module == "__future__":
                continue
            if not {_normalize(dist) for dist in mapping.get(module, [])} & allowed:
                missing.setdefault(module, []).append(name)
    return missing


def _sources(*folders: str) -> dict[str, str]:
    files = {}
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            files[str(path.relative_to(ROOT))] = path.read_text()
    return files


def _locked(path: Path) -> dict[str, str]:
    return {
        _normalize(name): version
        for name, version in re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+) \\$", path.read_text(), re.M)
    }


def test_every_package_the_app_imports_is_a_runtime_dependency() -> None:
    runtime = declared(ROOT / "requirements-elasticsearch.in")  # the runtime and its one extra
    app = _sources(*APPS)
    app["manage.py"] = (ROOT / "manage.py").read_text()
    assert undeclared(app, allowed=runtime, mapping=importlib.metadata.packages_distributions()) == {}


def test_only_the_elasticsearch_backend_imports_the_extra() -> None:
    assert "elasticsearch" not in declared(ROOT / "requirements.in")
    importers = {name for name, source in _sources(*APPS).items() if "elasticsearch" in imported_top_levels(source)}
    assert importers == ELASTICSEARCH_IMPORTERS


def test_every_package_tests_and_benchmarks_import_is_a_dev_dependency() -> None:
    dev = declared(ROOT / "requirements-dev.in")
    found = undeclared(_sources(*DEV_CODE), allowed=dev, mapping=importlib.metadata.packages_distributions())
    assert found == {}


def test_the_scan_reports_an_undeclared_import() -> None:
    files = {"a.py": "import requests\nfrom yaml import safe_load\nimport os\nfrom sre import env\n"}
    mapping = {"requests": ["requests"], "yaml": ["PyYAML"]}
    assert undeclared(files, allowed={"pyyaml"}, mapping=mapping) == {"requests": ["a.py"]}
    assert undeclared({"b.py": "import nosuchmodule_h11\n"}, allowed=set(), mapping=mapping) == {
        "nosuchmodule_h11": ["b.py"]
    }
    assert declared(ROOT / "requirements.in") >= {"requests", "urllib3", "psycopg", "pyyaml", "kombu", "croniter"}


@pytest.mark.parametrize(
    ("source", "lock"),
    [
        ("requirements.in", "requirements.txt"),
        ("requirements-elasticsearch.in", "requirements-elasticsearch.txt"),
        ("requirements-dev.in", "requirements-dev.txt"),
    ],
)
def test_each_lock_pins_its_inputs_with_hashes(source: str, lock: str) -> None:
    """``make lock`` was run after the last edit of an input: every direct pin is in the lock at that version,
    and every package in the lock carries a hash (so pip installs it in --require-hashes mode)."""
    locked = _locked(ROOT / lock)
    text = (ROOT / lock).read_text()
    pins = {}
    for path in [ROOT / source]:
        for raw in path.read_text().splitlines():
            match = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(\S+)", raw.split("#", 1)[0].strip())
            if match:
                pins[_normalize(match.group(1))] = match.group(2)
    assert pins and {name: locked.get(name) for name in pins} == pins
    assert declared(ROOT / source) <= set(locked)
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n\n", 1)[-1].strip())
    assert all("--hash=sha256:" in entry for entry in entries if "==" in entry)
    assert ("elasticsearch" in locked) == (lock != "requirements.txt")


def test_a_missing_elasticsearch_client_stops_the_check_with_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "elasticsearch", None)  # import elasticsearch now raises ImportError
    with pytest.raises(ImproperlyConfigured, match=r"requirements-elasticsearch\.txt"):
        config.check_log_store_client(log_store="elasticsearch", elasticsearch_url="http://127.0.0.1:9200")
    config.check_log_store_client(log_store="database", elasticsearch_url="http://127.0.0.1:9200")
    config.check_log_store_client(log_store="elasticsearch", elasticsearch_url=None)


def test_start_up_fails_when_the_elasticsearch_log_store_is_configured_without_its_client(tmp_path: Path) -> None:
    code = "import sys; sys.modules['elasticsearch'] = None; import django; django.setup()"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "sre.settings",
        "SRE_VAR_DIR": str(tmp_path),
        "SRE_LOG_STORE": "elasticsearch",
        "ELASTICSEARCH_URL": "http://127.0.0.1:9200",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert config.ELASTICSEARCH_MISSING in result.stderr
    del environment["SRE_LOG_STORE"]  # the database log store needs no client
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr

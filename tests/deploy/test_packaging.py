"""The image, the compose file and the systemd units: they parse, set only settings the control plane reads, and run
exactly the commands README "Deploying" gives (Docker, kubectl and systemd cannot run here; what they read can)."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from sre.queues import QUEUES
from tests.deploy.manifests import (
    DEPLOY,
    KUBERNETES,
    ROOT,
    command_line,
    environment_names_read,
    kustomize,
    pod_spec,
    readme_commands,
    readme_section,
)

DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = DEPLOY / "compose.yaml"
SYSTEMD = DEPLOY / "systemd"
# Variables that other programs read, not the control plane: the official postgres image's, and the pod's own IP
# (Kubernetes' downward API) that the web Deployment puts into ALLOWED_HOSTS.
CONTAINER_VARIABLES = {"POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD", "PGDATA", "POD_IP"}


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def _systemd_exec_starts() -> dict[str, str]:
    """Each unit's ExecStart as the README writes it: the virtualenv's bin folder dropped, ``%%`` unescaped."""
    found = {}
    for unit in sorted(SYSTEMD.glob("*.service")):
        [line] = [line for line in unit.read_text().splitlines() if line.startswith("ExecStart=")]
        command = line.removeprefix("ExecStart=").replace("%%", "%")
        found[unit.name] = command.replace("/opt/sre/venv/bin/", "", 1)
    return found


def _worker_commands() -> dict[str, set[str]]:
    """Every Celery worker command line in the compose file, the Kubernetes base and the systemd units."""
    compose = {command_line(s["command"]) for s in _compose()["services"].values() if "worker" in s.get("command", [])}
    kubernetes = {
        command_line(container["args"])
        for resource in kustomize(KUBERNETES / "base")
        for container in pod_spec(resource).get("containers", [])
        if "worker" in container["args"]
    }
    systemd = {command for command in _systemd_exec_starts().values() if " worker " in command}
    return {"compose": compose, "kubernetes": kubernetes, "systemd": systemd}


# --- the image -------------------------------------------------------------------------------------------------


def test_the_dockerfile_is_multi_stage_non_root_and_collects_static_files_at_build() -> None:
    instructions = _dockerfile_instructions()
    stages = [args for name, args in instructions if name == "FROM"]
    assert len(stages) >= 2 and stages[0].endswith("AS build") and stages[-1].endswith("AS runtime")
    runtime = instructions[[i for i, (name, _) in enumerate(instructions) if name == "FROM"][-1] :]
    users = [args for name, args in runtime if name == "USER"]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    runs = " ".join(args for name, args in instructions if name == "RUN")
    assert "python manage.py collectstatic --noinput" in runs
    assert any(name == "COPY" and args.startswith("--from=build") for name, args in runtime)


def test_the_dockerfile_runs_the_commands_the_readme_gives() -> None:
    instructions = dict(_dockerfile_instructions())
    readme = readme_commands()
    assert command_line(json.loads(instructions["CMD"])) in readme  # the web, the image's default
    assert "python manage.py collectstatic --noinput" in readme_section()
    assert "docker build -t sre-control-plane ." in readme and DOCKERFILE.exists()
    entrypoint = ROOT / json.loads(instructions["ENTRYPOINT"])[0].removeprefix("/app/")
    assert entrypoint.exists() and os.access(entrypoint, os.X_OK)


def test_the_entrypoint_empties_the_metrics_folder_and_runs_the_command(tmp_path: Path) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_1.db").write_text("stale")
    result = subprocess.run(
        [str(DEPLOY / "docker" / "entrypoint.sh"), "sh", "-c", 'ls -A "$PROMETHEUS_MULTIPROC_DIR"; echo ran'],
        env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == "ran\n" and folder.is_dir()


def test_the_dockerignore_keeps_local_state_out_of_the_image() -> None:
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".venv", "var", ".git", "tests"} <= ignored
    assert "deploy/docker" not in ignored  # the entrypoint is in the image


# --- commands --------------------------------------------------------------------------------------------------


def test_the_readme_gives_a_worker_command_for_every_queue() -> None:
    readme = readme_commands()
    for queue in QUEUES:
        assert any(f"celery -A sre worker --queues {queue} " in line for line in readme), queue


@pytest.mark.parametrize("where", ["compose", "kubernetes", "systemd"])
def test_every_worker_command_is_one_the_readme_gives_and_every_queue_is_consumed(where: str) -> None:
    commands = _worker_commands()[where]
    assert commands <= set(readme_commands())
    consumed = set()
    for command in commands:
        queues = command.split("--queues ")[1].split()[0].split(",")
        assert set(queues) <= set(QUEUES)
        assert "drills" not in queues or queues == ["drills"], "a drill must never share a worker with pages"
        consumed.update(queues)
    assert consumed == set(QUEUES)


def test_web_beat_and_migrate_commands_are_the_readmes_everywhere() -> None:
    readme = set(readme_commands())
    compose = {command_line(service["command"]) for service in _compose()["services"].values() if "command" in service}
    kubernetes = {
        command_line(container["args"])
        for resource in kustomize(KUBERNETES / "base")
        for container in pod_spec(resource).get("containers", [])
    }
    systemd = set(_systemd_exec_starts().values())
    for where in (compose - {"redis-server --appendonly yes"}, kubernetes, systemd):
        assert where <= readme, where - readme


# --- compose ---------------------------------------------------------------------------------------------------


def test_compose_has_the_database_broker_two_web_nodes_two_workers_and_one_beat() -> None:
    services = _compose()["services"]
    assert {"postgres", "redis", "migrate", "beat"} <= set(services)
    webs = [name for name, s in services.items() if s.get("command", [""])[0] == "gunicorn"]
    assert len(webs) == 2 and len({services[name]["ports"][0].split(":")[0] for name in webs}) == 2
    for name in webs:
        assert "/readyz" in " ".join(services[name]["healthcheck"]["test"])
    general = [s for s in services.values() if "worker" in s.get("command", []) and "drills" not in s["command"]]
    assert sum(s.get("deploy", {}).get("replicas", 1) for s in general) == 2
    assert services["beat"].get("deploy", {}).get("replicas", 1) == 1
    app = [s for s in services.values() if s.get("image") == "sre-control-plane:latest"]
    assert all(s["depends_on"]["postgres"]["condition"] == "service_healthy" for s in app)
    assert all(s["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
               for s in app if s is not services["migrate"])  # fmt: skip


def test_compose_wires_prometheus_and_alertmanager_to_the_web_nodes() -> None:
    services = _compose()["services"]
    for name in ("prometheus", "alertmanager"):
        assert services[name]["profiles"] == ["monitoring"]  # optional
        for volume in services[name]["volumes"]:
            source = volume.split(":")[0]
            if not source.endswith("token"):  # yours to create
                assert (DEPLOY / source).exists(), source
    prometheus = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    mounted = [volume.split(":")[1] for volume in services["prometheus"]["volumes"]]
    assert any(fnmatch.fnmatch(path, pattern) for path in mounted for pattern in prometheus["rule_files"])
    webs = {f"{name}:8000" for name, s in services.items() if s.get("command", [""])[0] == "gunicorn"}
    targets = {t for job in prometheus["scrape_configs"] for c in job.get("static_configs", []) for t in c["targets"]}
    assert webs <= targets
    workers = {name for name, s in services.items() if "worker" in s.get("command", [])}
    port = int(services["worker"]["environment"]["SRE_WORKER_METRICS_PORT"])
    found = {(n, sd["port"]) for job in prometheus["scrape_configs"] for sd in job.get("dns_sd_configs", [])
             for n in sd["names"]}  # fmt: skip
    assert found == {(name, port) for name in workers}  # every worker's own task metrics
    assert prometheus["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["alertmanager:9093"]
    alertmanager = yaml.safe_load((DEPLOY / "alertmanager" / "alertmanager.yml").read_text())
    [hook] = alertmanager["receivers"][0]["webhook_configs"]
    host = hook["url"].split("//")[1].split("/")[0]
    assert host in webs and hook["url"].endswith("/api/v1/alerts/alertmanager")


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("promtool", ["check", "config", "prometheus/prometheus.yml"]),
        ("amtool", ["check-config", "alertmanager/alertmanager.yml"]),
    ],
)
def test_the_prometheus_and_alertmanager_configs_pass_their_own_checks(tool: str, arguments: list[str]) -> None:
    binary = shutil.which(tool)
    if binary is None:
        if os.environ.get("SRE_REQUIRE_INTEGRATION") == "1":
            pytest.fail(f"{tool} is not installed (Debian: prometheus, prometheus-alertmanager)")
        pytest.skip(f"{tool} is not installed")
    result = subprocess.run([binary, *arguments], cwd=DEPLOY, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


# --- settings named --------------------------------------------------------------------------------------------


def _variables_set() -> dict[str, set[str]]:
    compose = set()
    for service in _compose()["services"].values():
        compose.update(service.get("environment", {}))
    kubernetes = set()
    for resource in kustomize(KUBERNETES / "base"):
        if resource["kind"] == "ConfigMap":
            kubernetes.update(resource["data"])
        if resource["kind"] == "Secret":
            kubernetes.update(resource.get("stringData", {}), resource.get("data", {}))
        for container in pod_spec(resource).get("containers", []):
            kubernetes.update(item["name"] for item in container.get("env", []))
    systemd = {
        line.split("=", 1)[0]
        for line in (SYSTEMD / "sre.env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    for unit in SYSTEMD.glob("*.service"):
        systemd.update(re.findall(r"^Environment=([A-Z_]+)=", unit.read_text(), flags=re.M))
    dockerfile = {
        name
        for instruction, args in _dockerfile_instructions()
        if instruction == "ENV"
        for name in re.findall(r"([A-Z][A-Z0-9_]+)=", args)
    }
    return {"compose": compose, "kubernetes": kubernetes, "systemd": systemd, "Dockerfile": dockerfile}


def test_each_worker_unit_on_a_machine_has_a_metrics_port_and_folder_of_its_own() -> None:
    units = [unit.read_text() for unit in SYSTEMD.glob("sre-worker-*.service")]
    ports = [re.search(r"^Environment=SRE_WORKER_METRICS_PORT=(\d+)$", text, re.M).group(1) for text in units]
    folders = [re.search(r"^Environment=PROMETHEUS_MULTIPROC_DIR=(\S+)$", text, re.M).group(1) for text in units]
    runtime = [re.search(r"^RuntimeDirectory=(\S+)$", text, re.M).group(1) for text in units]
    assert len(units) == len(QUEUES) == len(set(ports)) == len(set(folders))
    assert [f"/run/{name}" for name in runtime] == folders  # a fresh, empty folder at each start


def test_the_settings_reader_is_found() -> None:
    read = environment_names_read()
    assert {"DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "CACHE_URL", "SRE_VAR_DIR", "GUNICORN_THREADS"} <= read
    assert "SRE_NO_SUCH_SETTING" not in read


@pytest.mark.parametrize("where", ["compose", "kubernetes", "systemd", "Dockerfile"])
def test_deploy_files_set_only_variables_the_control_plane_reads(where: str) -> None:
    allowed = environment_names_read() | CONTAINER_VARIABLES | {"PATH", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE"}
    if where == "Dockerfile":
        allowed |= {"PIP_NO_CACHE_DIR", "PIP_DISABLE_PIP_VERSION_CHECK"}  # the build stage's pip
    named = _variables_set()[where]
    assert {"DATABASE_URL", "CELERY_BROKER_URL"} <= named or where == "Dockerfile"
    assert sorted(named - allowed) == []

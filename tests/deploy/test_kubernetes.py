"""deploy/kubernetes: every manifest validates against Kubernetes' schemas, the production overlay's patches apply
to the base, and the pieces fit (probes, one beat, a worker per queue, selectors that select)."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from sre.queues import QUEUES
from tests.deploy.manifests import (
    KUBERNETES,
    PatchTargetMissing,
    key,
    kustomize,
    load_yaml_documents,
    pod_spec,
    strategic_merge,
)

KUBERNETES_VERSION = "1.33.0"  # the oldest minor still supported upstream when this was written
BASE = KUBERNETES / "base"
PRODUCTION = KUBERNETES / "overlays" / "production"

# Custom resources are not in Kubernetes' own schemas (kubernetes-validate raises SchemaNotFoundError for them):
# each is checked against the fields of its CRD that we use, written down here.
CRD_SCHEMAS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"): {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "metadata": {"type": "object", "required": ["name"]},
            "spec": {
                "type": "object",
                "required": ["selector", "endpoints"],
                "additionalProperties": False,
                "properties": {
                    "selector": {
                        "type": "object",
                        "properties": {"matchLabels": {"type": "object", "additionalProperties": {"type": "string"}}},
                    },
                    "namespaceSelector": {"type": "object"},
                    "endpoints": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["port"],
                            "additionalProperties": False,
                            "properties": {
                                "port": {"type": "string"},
                                "path": {"type": "string", "pattern": "^/"},
                                "interval": {"type": "string", "pattern": "^[0-9]+(ms|s|m|h)$"},
                                "scheme": {"enum": ["http", "https"]},
                            },
                        },
                    },
                },
            },
        },
    },
}


_SERVICE_MONITOR = CRD_SCHEMAS[("monitoring.coreos.com/v1", "ServiceMonitor")]
_ENDPOINTS = _SERVICE_MONITOR["properties"]["spec"]["properties"]["endpoints"]
CRD_SCHEMAS[("monitoring.coreos.com/v1", "PodMonitor")] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "metadata": {"type": "object", "required": ["name"]},
        "spec": {
            "type": "object",
            "required": ["selector", "podMetricsEndpoints"],
            "additionalProperties": False,
            "properties": {
                "selector": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "matchLabels": {"type": "object", "additionalProperties": {"type": "string"}},
                        "matchExpressions": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["key", "operator"],
                                "additionalProperties": False,
                                "properties": {
                                    "key": {"type": "string"},
                                    "operator": {"enum": ["In", "NotIn", "Exists", "DoesNotExist"]},
                                    "values": {"type": "array", "items": {"type": "string"}},
                                },
                            },
                        },
                    },
                },
                "podMetricsEndpoints": _ENDPOINTS,
            },
        },
    },
}


def _validate(resource: dict) -> None:
    schema = CRD_SCHEMAS.get((resource["apiVersion"], resource["kind"]))
    if schema is not None:
        jsonschema.validate(resource, schema)
    else:
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)


def _by_key(resources: list[dict]) -> dict[tuple[str, str], dict]:
    built = {key(resource): resource for resource in resources}
    assert len(built) == len(resources), "two resources share a kind and name"
    return built


def _manifest_files() -> list[Path]:
    return sorted(path for path in KUBERNETES.rglob("*.yaml") if path.name != "kustomization.yaml")


@pytest.mark.parametrize("path", _manifest_files(), ids=lambda path: str(path.relative_to(KUBERNETES)))
def test_every_manifest_file_validates_against_the_kubernetes_schemas(path: Path) -> None:
    documents = load_yaml_documents(path)
    assert documents
    if path.parent.name == "patches":
        # A patch is a partial object: it is validated once applied (test_the_production_overlay_builds_and_validates).
        assert all({"apiVersion", "kind", "metadata"} <= set(document) for document in documents)
        return
    for document in documents:
        _validate(document)


@pytest.mark.parametrize("directory", [BASE, PRODUCTION], ids=["base", "production"])
def test_each_kustomization_builds_and_every_resource_validates(directory: Path) -> None:
    resources = kustomize(directory)
    assert {"Deployment", "Service", "ConfigMap", "Job"} <= {resource["kind"] for resource in resources}
    for resource in resources:
        _validate(resource)


def test_the_base_lists_every_manifest_it_holds() -> None:
    listed = set(yaml.safe_load((BASE / "kustomization.yaml").read_text())["resources"])
    assert listed == {path.name for path in BASE.glob("*.yaml")} - {"kustomization.yaml"}


def test_the_production_overlays_patches_apply_to_the_base() -> None:
    base = _by_key(kustomize(BASE))
    production = _by_key(kustomize(PRODUCTION))
    assert set(production) == set(base) | {("Namespace", "sre")}
    assert all(r["metadata"].get("namespace") == "sre" for k, r in production.items() if k[0] != "Namespace")
    assert production[("HorizontalPodAutoscaler", "sre-web")]["spec"]["minReplicas"] == 3
    assert production[("PodDisruptionBudget", "sre-web")]["spec"]["minAvailable"] == 2
    assert production[("Deployment", "sre-worker-delivery")]["spec"]["replicas"] == 3
    assert production[("ConfigMap", "sre-config")]["data"]["ALLOWED_HOSTS"] == "sre.acme.example"
    assert production[("Ingress", "sre-web")]["spec"]["rules"][0]["host"] == "sre.acme.example"
    web = pod_spec(production[("Deployment", "sre-web")])["containers"][0]
    env = {item["name"]: item for item in web["env"]}
    assert env["ALLOWED_HOSTS"]["value"] == "sre.acme.example,$(POD_IP)" and "valueFrom" in env["POD_IP"]
    assert web["resources"]["requests"]["cpu"] == "1" and web["readinessProbe"]  # patched and kept
    images = {c["image"] for r in production.values() for c in pod_spec(r).get("containers", [])}
    assert images == {"registry.example.com/sre/sre-control-plane:2026.12.0"}


def test_a_patch_that_names_no_base_resource_is_refused(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text(
        f"resources: [{BASE}]\npatches:\n  - path: typo.yaml\n", encoding="utf-8"
    )
    (tmp_path / "typo.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: sre-wbe}\n")
    with pytest.raises(PatchTargetMissing):
        kustomize(tmp_path)


def test_strategic_merge_merges_named_lists_and_replaces_the_others() -> None:
    base = {"containers": [{"name": "web", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}],
            "hosts": ["a"], "drop": 1}  # fmt: skip
    patch = {"containers": [{"name": "web", "env": [{"name": "B", "value": "3"}, {"name": "C", "value": "4"}]}],
             "hosts": ["b"], "drop": None}  # fmt: skip
    assert strategic_merge(base, patch) == {
        "containers": [
            {
                "name": "web",
                "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "3"}, {"name": "C", "value": "4"}],
            }
        ],
        "hosts": ["b"],
    }


def test_web_probes_beat_workers_and_the_migrations_job() -> None:
    resources = _by_key(kustomize(BASE))
    web = pod_spec(resources[("Deployment", "sre-web")])["containers"][0]
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert resources[("HorizontalPodAutoscaler", "sre-web")]["spec"]["scaleTargetRef"]["name"] == "sre-web"

    beat = resources[("Deployment", "sre-beat")]
    assert beat["spec"]["replicas"] == 1 and beat["spec"]["strategy"] == {"type": "Recreate"}
    assert pod_spec(beat)["containers"][0]["args"][:4] == ["celery", "-A", "sre", "beat"]

    consumed = {}
    for (kind, name), resource in resources.items():
        if kind == "Deployment" and name.startswith("sre-worker-"):
            args = pod_spec(resource)["containers"][0]["args"]
            consumed[name.removeprefix("sre-worker-")] = args[args.index("--queues") + 1]
    assert consumed == {queue: queue for queue in QUEUES}  # one Deployment per queue, consuming that queue only

    job = resources[("Job", "sre-migrate")]
    assert pod_spec(job)["containers"][0]["args"] == ["python", "manage.py", "upgrade"]


def test_every_pod_runs_as_non_root_with_the_settings_mounted() -> None:
    for resource in kustomize(BASE):
        spec = pod_spec(resource)
        if not spec:
            continue
        assert spec["securityContext"]["runAsNonRoot"] is True and spec["securityContext"]["runAsUser"] != 0
        for container in spec["containers"]:
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            assert "command" not in container, "args only: the image's entrypoint prepares the metrics folder"
            refs = [next(iter(source.values()))["name"] for source in container["envFrom"]]
            assert refs == ["sre-config", "sre-secrets"]
            assert {mount["mountPath"] for mount in container["volumeMounts"]} >= {"/tmp", "/var/lib/sre"}


def test_selectors_select_the_pods_they_mean() -> None:
    resources = _by_key(kustomize(BASE))
    web_pods = resources[("Deployment", "sre-web")]["spec"]["template"]["metadata"]["labels"]
    service = resources[("Service", "sre-web")]
    assert service["spec"]["selector"].items() <= web_pods.items()
    assert resources[("PodDisruptionBudget", "sre-web")]["spec"]["selector"]["matchLabels"].items() <= web_pods.items()
    monitor = resources[("ServiceMonitor", "sre-web")]
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert {e["port"] for e in monitor["spec"]["endpoints"]} <= {p["name"] for p in service["spec"]["ports"]}
    paths = {
        p["path"]: p["backend"]["service"]
        for p in resources[("Ingress", "sre-web")]["spec"]["rules"][0]["http"]["paths"]
    }
    assert paths["/"]["name"] == "sre-web" and paths["/"]["port"]["name"] in {
        p["name"] for p in service["spec"]["ports"]
    }
    # The status page's own Service: the same web pods, not-ready ones included (they serve the snapshot without
    # a database), and the Ingress sends /status there.
    status = resources[("Service", "sre-status")]
    assert status["spec"]["selector"].items() <= web_pods.items() and status["spec"]["publishNotReadyAddresses"] is True
    assert paths["/status"]["name"] == "sre-status"
    assert paths["/status"]["port"]["name"] in {p["name"] for p in status["spec"]["ports"]}
    for (kind, _name), resource in resources.items():
        if kind == "Deployment":
            template = resource["spec"]["template"]["metadata"]["labels"]
            assert resource["spec"]["selector"]["matchLabels"].items() <= template.items()
    pod_monitor = resources[("PodMonitor", "sre-workers")]["spec"]
    scraped = set()
    for (kind, name), resource in resources.items():
        labels = resource["spec"]["template"]["metadata"]["labels"] if kind == "Deployment" else {}
        if kind == "Deployment" and _selects(pod_monitor["selector"], labels):
            scraped.add(name)
            ports = {p["name"] for c in pod_spec(resource)["containers"] for p in c.get("ports", [])}
            assert {e["port"] for e in pod_monitor["podMetricsEndpoints"]} <= ports
    assert scraped == {f"sre-worker-{queue}" for queue in QUEUES}  # every worker, and only the workers
    config = resources[("ConfigMap", "sre-config")]["data"]
    assert config["SRE_WORKER_METRICS_PORT"] == "9808"
    claims = {name for kind, name in resources if kind == "PersistentVolumeClaim"}
    for resource in resources.values():
        for volume in pod_spec(resource).get("volumes", []):
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in claims


def _selects(selector: dict, labels: dict) -> bool:
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        inside = labels.get(expression["key"]) in expression.get("values", [])
        if (expression["operator"] == "In") != inside:
            return False
    return True


def test_a_crd_schema_catches_a_mistake() -> None:
    monitor = _by_key(kustomize(BASE))[("ServiceMonitor", "sre-web")]
    broken = strategic_merge(monitor, {"spec": {"endpoints": [{"port": "http", "intervall": "30s"}]}})
    with pytest.raises(jsonschema.ValidationError):
        _validate(broken)
    deployment = _by_key(kustomize(BASE))[("Deployment", "sre-beat")]
    with pytest.raises(kubernetes_validate.ValidationError):
        _validate(strategic_merge(deployment, {"spec": {"replicas": "one"}}))

"""Reading deploy/: a small kustomize (resources, namespace, images, labels, strategic-merge patches), the commands
the README's "Deploying" section gives, and the environment variables the control plane reads."""

from __future__ import annotations

import copy
import re
import shlex
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass"}


def load_yaml_documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def key(resource: dict[str, Any]) -> tuple[str, str]:
    return resource["kind"], resource["metadata"]["name"]


def strategic_merge(base: Any, patch: Any) -> Any:
    """Kubernetes' strategic merge for the shapes our patches use: maps merge key by key, lists of named items
    (containers, env, volumes, ports) merge by ``name``, other lists and scalars are replaced, ``null`` deletes."""
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for name, value in patch.items():
            if value is None:
                merged.pop(name, None)
            elif name in merged:
                merged[name] = strategic_merge(merged[name], value)
            else:
                merged[name] = copy.deepcopy(value)
        return merged
    if _named_list(base) and _named_list(patch):
        merged_list = [copy.deepcopy(item) for item in base]
        positions = {item["name"]: index for index, item in enumerate(merged_list)}
        for item in patch:
            if item["name"] in positions:
                index = positions[item["name"]]
                merged_list[index] = strategic_merge(merged_list[index], item)
            else:
                merged_list.append(copy.deepcopy(item))
        return merged_list
    return copy.deepcopy(patch)


def _named_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, dict) and "name" in item for item in value)


class PatchTargetMissing(AssertionError):
    pass


def kustomize(directory: Path) -> list[dict[str, Any]]:
    """Build ``directory``'s kustomization as ``kubectl apply -k`` would, for the fields deploy/ uses; a patch whose
    kind and name match no resource raises ``PatchTargetMissing``; an unknown field raises ``ValueError``."""
    spec = yaml.safe_load((directory / "kustomization.yaml").read_text())
    known = {"apiVersion", "kind", "resources", "namespace", "images", "labels", "patches"}
    if set(spec) - known:
        raise ValueError(f"{directory}: fields this loader does not apply: {sorted(set(spec) - known)}")
    resources: list[dict[str, Any]] = []
    for entry in spec.get("resources", []):
        path = (directory / entry).resolve()
        resources += kustomize(path) if path.is_dir() else load_yaml_documents(path)
    for patch_entry in spec.get("patches", []):
        patch = yaml.safe_load((directory / patch_entry["path"]).read_text())
        matches = [index for index, resource in enumerate(resources) if key(resource) == key(patch)]
        if len(matches) != 1:
            raise PatchTargetMissing(f"{patch_entry['path']}: {key(patch)} matches {len(matches)} resources")
        resources[matches[0]] = strategic_merge(resources[matches[0]], patch)
    for labels in spec.get("labels", []):
        for resource in resources:
            resource["metadata"].setdefault("labels", {}).update(labels["pairs"])
    for image in spec.get("images", []):
        for container in _containers(resources):
            if container["image"].split(":")[0] == image["name"]:
                container["image"] = f"{image.get('newName', image['name'])}:{image.get('newTag', 'latest')}"
    if "namespace" in spec:
        for resource in resources:
            if resource["kind"] not in CLUSTER_SCOPED:
                resource["metadata"]["namespace"] = spec["namespace"]
    return resources


def _containers(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [container for resource in resources for container in pod_spec(resource).get("containers", [])]


def pod_spec(resource: dict[str, Any]) -> dict[str, Any]:
    """The pod spec of a Deployment or Job (empty for other kinds)."""
    if resource["kind"] in ("Deployment", "Job", "StatefulSet", "DaemonSet"):
        return resource["spec"]["template"]["spec"]
    return {}


def readme_section(title: str = "Deploying") -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def readme_commands() -> list[str]:
    """Every line of the section's ``sh`` code blocks, whitespace normalised."""
    blocks = re.findall(r"```sh\n(.*?)```", readme_section(), flags=re.S)
    return [" ".join(line.split()) for block in blocks for line in block.splitlines() if line.strip()]


def command_line(argv: list[str]) -> str:
    return " ".join(shlex.quote(part) if part == "" else part for part in argv)


def environment_names_read() -> set[str]:
    """Names the control plane reads from its environment: ``env.<type>("NAME"`` through sre.env.Env, and
    ``os.environ``/``os.getenv`` in its modules (gunicorn's settings, ``manage.py serve``)."""
    patterns = (
        r"\benv\.\w+\(\s*\"([A-Z][A-Z0-9_]+)\"",
        r"environ(?:\.get|\.setdefault)?\(\s*\"([A-Z][A-Z0-9_]+)\"",
        r"environ\[\"([A-Z][A-Z0-9_]+)\"\]",
        r"getenv\(\s*\"([A-Z][A-Z0-9_]+)\"",
    )
    names: set[str] = set()
    for path in ROOT.glob("*/**/*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in {".venv", "tests", "bench", "scripts", "var", "docs"} or "migrations" in parts:
            continue
        source = path.read_text()
        for pattern in patterns:
            names.update(re.findall(pattern, source))
    return names

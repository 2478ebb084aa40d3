"""restic targets with the real restic binary and a local repository."""

from __future__ import annotations

import hashlib
import os
import subprocess

import pytest

from drills.choices import CheckKind, RunStatus
from drills.services import check_create, target_save
from tests.support.servers import require_binary

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct horse battery"


@pytest.fixture
def repo(tmp_path):
    require_binary("restic")
    path = tmp_path / "repo"
    env = {**os.environ, "RESTIC_PASSWORD": PASSWORD, "RESTIC_REPOSITORY": str(path)}
    subprocess.run(["restic", "--no-cache", "init"], env=env, check=True, capture_output=True)
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "config.yml").write_text("replicas: 3\n")
    (data / "sub" / "blob.bin").write_bytes(os.urandom(200_000))
    return {"path": path, "data": data, "env": env}


def _target(repo, **extra):
    data = {"name": "files", "kind": "restic", "connection": str(repo["path"]), "secret": PASSWORD,
            "location": str(repo["data"]), **extra}  # fmt: skip
    return target_save(target=None, data=data)


def test_snapshot_restores_and_file_checksums_match_the_source(run_drill, repo):
    target = _target(repo)
    check_create(target=target, data={"name": "config", "kind": CheckKind.FILE_CHECKSUM, "path": "config.yml"})
    check_create(target=target, data={"name": "blob", "kind": CheckKind.FILE_CHECKSUM, "path": "sub/blob.bin"})

    run = run_drill(target)

    assert run.status == RunStatus.PASSED, run.reasons
    assert {c.name for c in run.check_results.all()} == {"restic check", "config", "blob"}
    assert run.backup_size_bytes >= 200_000
    assert PASSWORD not in "".join(s.log for s in run.steps.all())


def test_newest_existing_snapshot_and_checksum_mismatch(run_drill, repo):
    subprocess.run(["restic", "--no-cache", "backup", str(repo["data"])], env=repo["env"], check=True,
                   capture_output=True)  # fmt: skip
    (repo["data"] / "config.yml").write_text("replicas: 5\n")  # the source moved on since the snapshot
    target = _target(repo, backup_mode="latest", name="latest-files")
    check_create(target=target, data={"name": "config", "kind": CheckKind.FILE_CHECKSUM, "path": "config.yml"})
    expected = hashlib.sha256(b"replicas: 3\n").hexdigest()
    check_create(target=target, data={"name": "old config", "kind": CheckKind.FILE_CHECKSUM, "path": "config.yml",
                                      "expected": expected})  # fmt: skip

    run = run_drill(target)

    results = {c.name: c for c in run.check_results.all()}
    assert results["old config"].passed
    assert not results["config"].passed and "Checksum mismatch for config.yml" in results["config"].message
    assert run.status == RunStatus.FAILED


def test_corrupted_repository_fails_with_restics_message(run_drill, repo):
    subprocess.run(["restic", "--no-cache", "backup", str(repo["data"])], env=repo["env"], check=True,
                   capture_output=True)  # fmt: skip
    packs = [p for p in (repo["path"] / "data").rglob("*") if p.is_file()]
    for pack in packs:
        raw = bytearray(pack.read_bytes())
        raw[len(raw) // 2 : len(raw) // 2 + 64] = b"\0" * 64
        pack.write_bytes(bytes(raw))
    target = _target(repo, backup_mode="latest", name="corrupt")
    check_create(target=target, data={"name": "config", "kind": CheckKind.FILE_CHECKSUM, "path": "config.yml"})

    run = run_drill(target)

    assert run.status == RunStatus.FAILED
    assert "restic" in run.message
    assert not (repo["path"].parent / "scratch" / f"run-{run.pk}").exists()


def test_wrong_password_fails_obtaining(run_drill, repo):
    target = _target(repo, secret="wrong-password", name="wrong")
    check_create(target=target, data={"name": "config", "kind": CheckKind.FILE_CHECKSUM, "path": "config.yml"})

    run = run_drill(target)

    assert run.status == RunStatus.FAILED
    assert run.message.startswith("restic backup failed")

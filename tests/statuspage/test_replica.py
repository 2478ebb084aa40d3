"""Every web node's own copy of the snapshot, from the database (statuspage.services.publish, statuspage.replica)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from statuspage.models import PublishedSnapshot
from statuspage.replica import published_files, snapshot_pull
from statuspage.services import sync_run
from statuspage.services.publish import snapshot_publish
from statuspage.snapshot import MARKER, file_for, installed, snapshot_digest, snapshot_install
from tests.statuspage.helpers import world


def _tree(root) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file() and p.name != ".lock"}


def test_a_sync_publishes_and_another_node_copies_the_same_files(db, snapshot_dir, tmp_path) -> None:
    world()
    sync_run(now=timezone.now())
    node_b = tmp_path / "node-b"
    assert snapshot_pull(root=node_b) is True
    assert _tree(node_b) == _tree(snapshot_dir)  # every file, the marker too
    assert "Elevated API errors" in (node_b / "index.html").read_text()
    assert snapshot_pull(root=node_b) is False  # nothing new: nothing written


def test_a_removed_file_goes_from_the_copy_too(db, snapshot_dir, tmp_path) -> None:
    now = timezone.now()
    files = {"index.html": b"<p>one</p>", "incidents/4/index.html": b"<p>four</p>", "snapshot.json": b"{}"}
    snapshot_publish(files=files, rendered_at=now)
    node_b = tmp_path / "node-b"
    snapshot_pull(root=node_b)
    assert (node_b / "incidents/4/index.html").exists()
    del files["incidents/4/index.html"]
    snapshot_publish(files=files, rendered_at=now + timedelta(seconds=1))
    assert snapshot_pull(root=node_b) is True
    assert not (node_b / "incidents").exists() and (node_b / "index.html").read_bytes() == b"<p>one</p>"


def test_a_late_older_render_never_replaces_a_newer_one(db) -> None:
    now = timezone.now()
    assert snapshot_publish(files={"index.html": b"new"}, rendered_at=now) is True
    assert snapshot_publish(files={"index.html": b"old"}, rendered_at=now - timedelta(seconds=5)) is False
    assert snapshot_publish(files={"index.html": b"new"}, rendered_at=now) is False  # the same again: no write
    assert published_files() == (now, {"index.html": b"new"})
    assert PublishedSnapshot.objects.get().digest == snapshot_digest({"index.html": b"new"})


def test_a_copy_never_installs_an_older_render_over_a_newer_one(tmp_path) -> None:
    now = timezone.now()
    assert snapshot_install(files={"index.html": b"new"}, rendered_at=now, root=tmp_path) is True
    older = snapshot_install(
        files={"index.html": b"old"}, rendered_at=now - timedelta(seconds=1), root=tmp_path, only_newer=True
    )
    assert older is False and (tmp_path / "index.html").read_bytes() == b"new"
    assert installed(tmp_path)["digest"] == snapshot_digest({"index.html": b"new"})


def test_nothing_published_yet_leaves_the_directory_alone(db, tmp_path) -> None:
    assert snapshot_pull(root=tmp_path) is False
    assert not tmp_path.joinpath(MARKER).exists()


def test_the_marker_and_paths_outside_the_directory_are_not_served_or_written(tmp_path) -> None:
    assert file_for(MARKER, tmp_path) is None
    snapshot_install(files={"../escape.html": b"x", "index.html": b"ok"}, rendered_at=timezone.now(), root=tmp_path)
    assert not (tmp_path.parent / "escape.html").exists() and (tmp_path / "index.html").read_bytes() == b"ok"

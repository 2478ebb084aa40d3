"""Publishing a rendered snapshot to the database, from which every web node copies it (``statuspage.replica``)."""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Mapping
from datetime import datetime

from django.db import transaction

from statuspage.models import PublishedSnapshot
from statuspage.snapshot import snapshot_digest


def snapshot_encode(files: Mapping[str, bytes]) -> bytes:
    """zlib-compressed JSON of path to base64 content (``statuspage.replica.published_files`` decodes)."""
    document = {path: base64.b64encode(content).decode("ascii") for path, content in files.items()}
    return zlib.compress(json.dumps(document, sort_keys=True).encode(), 6)


def snapshot_publish(*, files: Mapping[str, bytes], rendered_at: datetime) -> bool:
    """Store the render of ``rendered_at`` as the one web nodes copy, unless a later render is already stored (two
    syncs racing: the one that started last read the newest data). Idempotent: the same render again changes
    nothing. Returns whether the row was written."""
    digest = snapshot_digest(files)
    values = {"rendered_at": rendered_at, "digest": digest, "files": snapshot_encode(files)}
    with transaction.atomic():
        rows = PublishedSnapshot.objects.select_for_update()
        row, created = rows.get_or_create(pk=PublishedSnapshot.ROW, defaults=values)
        if created:
            return True
        if row.digest == digest or row.rendered_at > rendered_at:
            return False
        PublishedSnapshot.objects.filter(pk=PublishedSnapshot.ROW).update(**values)
    return True

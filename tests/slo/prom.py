"""A real Prometheus holding backfilled history (``promtool tsdb create-blocks-from openmetrics``)."""

from __future__ import annotations

import subprocess
import tempfile
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.servers import free_port, require_binary, stop_process, wait_for


def openmetrics(series: Iterable[tuple[str, dict[str, str], list[tuple[int, float]]]], *, family: str) -> str:
    """OpenMetrics text for counter ``family``: each series' points contiguous, time-ordered, ``# EOF``."""
    lines = [f"# TYPE {family} counter"]
    for name, labels, points in series:
        label_text = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        lines.extend(f"{name}{{{label_text}}} {value:.17g} {ts}" for ts, value in points)
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


@contextmanager
def backfilled_prometheus(text: str, *, rules: str | None = None) -> Iterator[str]:
    """Backfill ``text`` into a fresh TSDB and start Prometheus on it (retention 90d), loading the rule file
    ``rules`` when given; yields its URL."""
    promtool, binary = require_binary("promtool"), require_binary("prometheus")
    with tempfile.TemporaryDirectory(prefix="sre-prom-backfill-") as tmp:
        source, data = Path(tmp) / "history.om", Path(tmp) / "data"
        source.write_text(text)
        # one block for the whole history: the default (2 h blocks) writes ~370 blocks and takes minutes
        subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=768h", "-q",
                        str(source), str(data)],
                       check=True, capture_output=True, timeout=600)  # fmt: skip
        config = Path(tmp) / "prometheus.yml"
        config.write_text("global:\n  scrape_interval: 1m\n")
        if rules is not None:
            (Path(tmp) / "rules.yml").write_text(rules)
            config.write_text("global:\n  scrape_interval: 1m\n  evaluation_interval: 15s\nrule_files: [rules.yml]\n")
        port = free_port()
        log = (Path(tmp) / "prometheus.log").open("wb")  # a file, not a pipe: a full pipe would block it
        process = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={data}", "--storage.tsdb.retention.time=90d",
             f"--web.listen-address=127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"prometheus exited: {(Path(tmp) / 'prometheus.log').read_text()[-2000:]}")
            try:
                return urllib.request.urlopen(f"{url}/-/ready", timeout=1).status == 200
            except OSError:
                return False

        try:
            wait_for(ready, timeout=60, what="prometheus to be ready")
            yield url
        finally:
            stop_process(process)
            log.close()

"""Logging filters named in ``settings.LOGGING`` (no Django import: logging is configured before apps load)."""

from __future__ import annotations

import logging


class NoTracebackFor403(logging.Filter):
    """Drop the traceback Django attaches to its "Forbidden (Permission denied)" line: a 403 is a role check
    doing its job, not an error to debug. The line itself (path and status) stays."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True

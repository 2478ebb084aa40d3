"""A JSON parser that refuses bodies larger than the configured limit (413) and non-standard numbers."""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from rest_framework import parsers, status
from rest_framework.exceptions import APIException, ParseError


class PayloadTooLarge(APIException):
    """Defined beside the body reader, not in ``sre.api.exceptions``: that module imports DRF's views, which
    import this one (the default parser), so importing it from there would be an import cycle."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = "payload_too_large"


def read_limited(stream: Any) -> bytes:
    """Read a request body, raising 413 past ``DATA_UPLOAD_MAX_MEMORY_SIZE``."""
    if stream is None:
        return b""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise PayloadTooLarge(f"Request body is larger than the limit of {limit} bytes.")
    return body


# A NUL character can only reach a JSON string escaped, as \u0000 after an even number of backslashes.
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


class StrictJSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        body = read_limited(stream)
        if not body.strip():
            raise ParseError("Request body is empty; expected a JSON document.")
        if b"\\u0000" in body and _NUL_ESCAPE.search(body):
            # PostgreSQL stores no NUL character in text or JSON: refuse it here, not as a failed write.
            raise ParseError("Request body contains a NUL character (\\u0000), which cannot be stored.")
        try:
            return json.loads(body.decode("utf-8"), parse_constant=_no_constants)
        except UnicodeDecodeError:
            raise ParseError("Request body is not UTF-8 text.") from None
        except ValueError as exc:
            raise ParseError(f"Malformed JSON: {exc}") from None
        except RecursionError:
            raise ParseError("Malformed JSON: nested too deeply.") from None

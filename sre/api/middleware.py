"""Request bodies sent with ``Transfer-Encoding: chunked``.

Such a body has no ``Content-Length``, so Django builds the request with a zero-length stream and DRF sees no
body at all (a log push was a 400 "no log lines"). When the server has de-chunked the input and marks where it
ends (``wsgi.input_terminated``: gunicorn, mod_wsgi), the body is read here with the one body reader
(``read_limited``, so within ``SRE_MAX_REQUEST_BYTES``) and handed on as an ordinary body with a length, for
every endpoint alike. A server that does not mark the end (``runserver``) gets a 411: reading on could block.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest, HttpResponse, JsonResponse

from sre.api.exceptions import error_body
from sre.api.parsers import PayloadTooLarge, read_limited


def _chunked(request: HttpRequest) -> bool:
    return "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()


class ChunkedBodyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _chunked(request):
            if not request.META.get("wsgi.input_terminated"):
                message = "This server cannot read a chunked body; send it with a Content-Length."
                return JsonResponse(error_body(code="length_required", message=message), status=411)
            try:
                body = read_limited(request.META["wsgi.input"])
            except PayloadTooLarge as exc:
                return JsonResponse(error_body(code="payload_too_large", message=str(exc.detail)), status=413)
            request.META["CONTENT_LENGTH"] = str(len(body))
            request._stream = LimitedStream(io.BytesIO(body), len(body))
        return self.get_response(request)

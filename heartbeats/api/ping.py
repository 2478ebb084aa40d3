"""The ping endpoints: ``GET``/``POST``/``HEAD /api/v1/heartbeats/<uuid>`` (success), ``…/start``, ``…/fail`` and
``…/<exit status>`` (0 is success, 1–255 a failure), as healthchecks.io answers them.

Unauthenticated on purpose: the UUID in the URL is the credential (a secret shown only to responders and admins),
so no session, CSRF token or bearer token is read (an ``Authorization`` header is ignored, and so never counts
against the address's bad-token throttle). Bounded: at most ``PING_RATE`` pings a minute per URL (429 with
``Retry-After`` beyond), and of the body only the first 10 KB is read and kept. Answers ``{"ok": true}``; a key that
is not a UUID is a 400 naming ``uuid``, an unknown one a 404."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from heartbeats.api.serializers import HeartbeatPingReceivedSerializer
from heartbeats.choices import PingKind
from heartbeats.services import heartbeat_ping, ping_key_parse
from heartbeats.services.pings import BODY_KEPT_BYTES
from sre.errors import InvalidInputError
from sre.identity.addresses import client_address

PING_RATE = "120/min"
MAX_EXIT_STATUS = 255


class HeartbeatPingThrottle(SimpleRateThrottle):
    """Per ping URL, whoever sends it (one host may ping many checks; many hosts may ping one)."""

    scope = "heartbeat-ping"
    rate = PING_RATE

    def get_cache_key(self, request: Request, view: APIView) -> str:
        return self.cache_format % {"scope": self.scope, "ident": str(view.kwargs.get("uuid", ""))[:64]}


UUID_PARAMETER = OpenApiParameter(
    "uuid", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The check's ping key (its secret)."
)
BODY = {"text/plain": OpenApiTypes.STR, "application/octet-stream": OpenApiTypes.BINARY}
RESPONSES = {
    200: HeartbeatPingReceivedSerializer,
    400: OpenApiResponse(description="The key is not a UUID (`fields.uuid`), or a bad exit status."),
    404: OpenApiResponse(description="No check has this ping key."),
}


class _PingView(APIView):
    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes = [HeartbeatPingThrottle]
    parser_classes: list = []  # the body is kept as text, never parsed
    kind = PingKind.SUCCESS

    def get(self, request: Request, uuid: str, exit_status: int | None = None) -> Response:
        return self._ping(request, uuid, exit_status)

    def post(self, request: Request, uuid: str, exit_status: int | None = None) -> Response:
        return self._ping(request, uuid, exit_status)

    def _ping(self, request: Request, raw_key: str, exit_status: int | None) -> Response:
        key = ping_key_parse(raw_key)
        kind = self.kind
        if exit_status is not None:
            if not 0 <= exit_status <= MAX_EXIT_STATUS:
                raise InvalidInputError("An exit status is 0 to 255.", fields={"exit_status": ["Between 0 and 255."]})
            kind = PingKind.SUCCESS if exit_status == 0 else PingKind.FAIL
        size, body = _body(request)
        heartbeat_ping(
            key=key,
            kind=kind,
            now=timezone.now(),
            method=request.method,
            source_ip=client_address(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            body=body,
            body_size=size,
            exit_status=exit_status,
        )
        return Response({"ok": True})


def _documented(name: str, summary: str, *, exit_status: bool = False):
    parameters = [UUID_PARAMETER]
    if exit_status:
        parameters.append(
            OpenApiParameter(
                "exit_status",
                {"type": "integer", "minimum": 0, "maximum": MAX_EXIT_STATUS},
                OpenApiParameter.PATH,
                description="0 is success, 1-255 a failure.",
            )
        )
    common = {"parameters": parameters, "responses": RESPONSES, "auth": [], "summary": summary, "tags": ["heartbeats"]}
    return extend_schema_view(
        get=extend_schema(operation_id=f"{name}_get", **common),
        post=extend_schema(operation_id=f"{name}_post", request=BODY, **common),
    )


@_documented("heartbeat_ping", "The job succeeded (the body, e.g. its output, is kept up to 10 KB)")
class HeartbeatPingView(_PingView):
    kind = PingKind.SUCCESS


@_documented("heartbeat_ping_start", "The job started (its success or failure then records the run's duration)")
class HeartbeatPingStartView(_PingView):
    kind = PingKind.START


@_documented("heartbeat_ping_fail", "The job failed: HeartbeatFailed fires at once")
class HeartbeatPingFailView(_PingView):
    kind = PingKind.FAIL


@_documented(
    "heartbeat_ping_exit_status", "The job ended with this exit status (0 success, else failure)", exit_status=True
)
class HeartbeatPingExitStatusView(_PingView):
    pass


def _body(request: Request) -> tuple[int, bytes]:
    """(declared size, the first ``BODY_KEPT_BYTES``): the rest is never read into memory."""
    try:
        size = max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        size = 0
    if not size:
        return 0, b""
    return size, request._request.read(min(size, BODY_KEPT_BYTES))

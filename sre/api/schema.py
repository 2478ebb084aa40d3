"""OpenAPI descriptions of our authentication classes (drf-spectacular extensions)."""

from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "sre.api.authentication.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "API token: `Authorization: Bearer sre_…`"}


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "sre.api.authentication.SessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}


# --- Error responses ---------------------------------------------------------------------------------------
# Every API error has one JSON shape (sre.api.exceptions.error_body). It is declared once as a component and
# each operation lists the statuses it can answer with, derived from what the operation takes.
ERROR_COMPONENT = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "description": "Every API error: a stable machine code, a message for people, and messages per input field.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "Stable machine name, e.g. invalid, not_found, conflict."},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "description": "Messages per input field (`a.b`, `items[0].x`); empty when not about a field.",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
            "required": ["code", "message", "fields"],
        }
    },
    "required": ["error"],
}
ERROR_DESCRIPTIONS = {
    "400": "Invalid input: malformed body or query, or a value the service refuses (`fields` names them).",
    "401": "No credentials, or a token that is unknown, revoked or expired.",
    "403": "The role or the token's scopes do not allow this.",
    "404": "No such object (or page).",
    "409": "The object's state does not allow this (already resolved, running, ...).",
    "413": "The request body is larger than the limit.",
    "415": "The request body's content type is not one this operation reads.",
    "422": "Well-formed, but cannot be processed as given.",
    "429": "Too many requests for this token; retry after the `Retry-After` header's seconds.",
    "503": "The database (or an external source the operation reads) is unreachable; try again shortly.",
}
WRITE_METHODS = {"post", "put", "patch", "delete"}


def error_statuses(*, method: str, operation: dict) -> list[str]:
    """The error statuses an operation can answer with, from what it takes: every one 401/403 (authentication
    and role/scope), 429 (throttle) and 503 (database unreachable); a body 400/413/415; query or path
    parameters 400/404; a write 400/409 (the services' domain errors)."""
    parameters = operation.get("parameters", [])
    statuses = {"401", "403", "429", "503"}
    if "requestBody" in operation:
        statuses |= {"400", "413", "415"}
    if any(p.get("in") == "query" for p in parameters):
        statuses.add("400")
    if any(p.get("in") == "path" for p in parameters) or any(p.get("name") == "page" for p in parameters):
        statuses.add("404")
    if method in WRITE_METHODS:
        statuses |= {"400", "409"}
    return sorted(statuses)


def add_error_responses(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: the Error component and each operation's error responses. A status an
    operation declares itself keeps its description; an error status declared without a body gets this one (so a
    view writes ``422: OpenApiResponse(description=...)`` for an error only it can answer)."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    reference = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for status in error_statuses(method=method, operation=operation):
                responses.setdefault(status, {"description": ERROR_DESCRIPTIONS[status]})
            for status, response in responses.items():
                if str(status) >= "400" and not response.get("content"):
                    response["content"] = {"application/json": {"schema": reference}}
    return result


class StrictFieldsScheme(OpenApiSerializerExtension):
    """Input serializers with ``StrictFieldsMixin`` refuse fields they do not know: their request schema says so."""

    target_class = "sre.api.serializers.StrictFieldsMixin"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request" and schema.get("type") == "object":
            schema["additionalProperties"] = False
        return schema


class LocalTimeScheme(OpenApiSerializerFieldExtension):
    """A time of day as DRF reads and writes it (``09:00``, ``09:00:00``, ``09:00:00.5``): a wall-clock time in the
    object's own time zone, with no offset. OpenAPI's ``format: time`` is RFC 3339's, which requires an offset, so
    the schema gives the pattern instead."""

    target_class = "rest_framework.fields.TimeField"

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$", "example": "09:00:00"}


class StrictFilterScheme(DjangoFilterExtension):
    """Query filters (sre.api.filters): as django-filter describes them, and an empty value means "no filter"
    (``?status=`` lists everything), as every django-filter filter reads it."""

    target_class = "sre.api.filters.StrictFilterBackend"
    priority = 1

    def get_schema_operation_parameters(self, auto_schema, *args, **kwargs):
        parameters = super().get_schema_operation_parameters(auto_schema, *args, **kwargs)
        for parameter in parameters:
            parameter["allowEmptyValue"] = True
        return parameters

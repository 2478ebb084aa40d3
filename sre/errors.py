"""Domain errors that services raise; the API exception handler maps them to 400/404/409/422."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: ``status`` is the HTTP status the API answers with, ``code`` a stable machine name."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class InvalidInputError(DomainError):
    status = 400
    code = "invalid"


class NotFoundError(InvalidInputError):
    """The object a request names by id (in its path) does not exist. A subclass of ``InvalidInputError`` so code
    that catches bad input still catches it; the API answers 404."""

    status = 404
    code = "not_found"


class ForbiddenError(DomainError):
    """The caller may not do this, whatever its input (e.g. a token granting more than the token asking)."""

    status = 403
    code = "permission_denied"


class ConflictError(DomainError):
    """The request is well-formed but the object's state does not allow it (already resolved, …)."""

    status = 409
    code = "conflict"


class UnprocessableError(DomainError):
    """Well-formed, but cannot be processed as given (e.g. a config that does not parse)."""

    status = 422
    code = "unprocessable"


class SourceUnavailableError(DomainError):
    """An external source (Prometheus, Elasticsearch) could not answer."""

    status = 503
    code = "source_unavailable"

"""Errors as RFC 9457 problem details, and the exceptions domain code raises."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsException,
    ProblemDetailsPlugin,
)
from litestar.types import ExceptionHandlersMap
from sqlalchemy.exc import IntegrityError

PROBLEM_BASE = "https://spojka.cz/problems/"


class Problem(ProblemDetailsException):
    """An error a caller can act on; ``kind`` becomes the problem ``type`` URI."""

    status_code = 400
    kind = "bad-request"
    title = "Bad request"

    def __init__(
        self, detail: str, *, extra: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ):
        super().__init__(
            detail=detail,
            status_code=self.status_code,
            type_=PROBLEM_BASE + self.kind,
            title=self.title,
            extra=extra,
            headers=headers,
        )


class NotFound(Problem):
    status_code = 404
    kind = "not-found"
    title = "Not found"


class Conflict(Problem):
    status_code = 409
    kind = "conflict"
    title = "Conflict"


class Invalid(Problem):
    """The request is well-formed but its content cannot be accepted."""

    status_code = 422
    kind = "invalid"
    title = "Unprocessable content"


class Forbidden(Problem):
    status_code = 403
    kind = "forbidden"
    title = "Forbidden"


class Unauthorized(Problem):
    status_code = 401
    kind = "unauthorized"
    title = "Not signed in"


class Unavailable(Problem):
    """Spojka or a system it depends on cannot serve this now; trying again later may work."""

    status_code = 503
    kind = "unavailable"
    title = "Service unavailable"


class TooManyRequests(Problem):
    status_code = 429
    kind = "too-many-requests"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int):
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})


def _integrity_error(request: Request[Any, Any, Any], exc: IntegrityError) -> Response[Any]:
    # A uniqueness or reference rule of the database caught what validation could not (races).
    problem = Conflict("This conflicts with something that already exists (for example a duplicate name).")
    return problem.to_response(request)


_KINDS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "too-large",
    415: "unsupported-media-type",
    422: "invalid",
    429: "too-many-requests",
    503: "unavailable",
}


def _explain(exc: HTTPException, phrase: str) -> str:
    """Litestar's own exceptions keep the useful part in ``extra``; bring it into ``detail``."""
    detail = exc.detail if exc.detail and exc.detail != phrase else phrase
    if "CSRF" in detail:
        return (
            "The CSRF token is missing or wrong: send the csrftoken cookie's value in the X-CSRFToken header."
        )
    if isinstance(exc.extra, list):
        parts = []
        for item in exc.extra:
            if isinstance(item, dict):
                key, message = item.get("key"), item.get("message")
                if key == "data" and str(message).strip("'") == "data":
                    # Litestar's wording when there is no body at all.
                    key, message = None, "the request body is empty: send a JSON object"
                parts.append(f"{key}: {message}" if key else str(message))
            else:
                parts.append(str(item))
        if parts:
            detail = f"{detail}: {'; '.join(parts)}"
    return detail


def _from_http_exception(exc: HTTPException) -> ProblemDetailsException:
    if isinstance(exc, ProblemDetailsException):
        return exc
    phrase = HTTPStatus(exc.status_code).phrase
    extra = {"errors": exc.extra} if isinstance(exc.extra, list) else exc.extra
    return ProblemDetailsException(
        status_code=exc.status_code,
        title=phrase,
        detail=_explain(exc, phrase),
        type_=PROBLEM_BASE + _KINDS.get(exc.status_code, "error"),
        extra=extra,
        headers=exc.headers,
    )


def problem_details_plugin() -> ProblemDetailsPlugin:
    """Every HTTP error, ours and Litestar's, as problem details whose ``detail`` says what is wrong."""
    return ProblemDetailsPlugin(
        ProblemDetailsConfig(exception_to_problem_detail_map={HTTPException: _from_http_exception})
    )


EXCEPTION_HANDLERS: ExceptionHandlersMap = {IntegrityError: _integrity_error}

__all__ = [
    "EXCEPTION_HANDLERS",
    "Conflict",
    "Forbidden",
    "HTTPException",
    "Invalid",
    "NotFound",
    "Problem",
    "TooManyRequests",
    "Unauthorized",
    "problem_details_plugin",
]

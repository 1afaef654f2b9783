"""Errors as RFC 9457 problem details, and the exceptions domain code raises."""

from __future__ import annotations

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


def problem_details_plugin() -> ProblemDetailsPlugin:
    return ProblemDetailsPlugin(ProblemDetailsConfig(enable_for_all_http_exceptions=True))


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

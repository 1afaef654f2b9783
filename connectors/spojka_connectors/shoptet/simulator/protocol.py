"""Shoptet's response envelope, error items and paginator, shared by every route of the simulator."""

from __future__ import annotations

import math
import uuid
from typing import Any, Final

import msgspec
from litestar import Request, Response

JSON: Final = "application/json; charset=utf-8"

AnyRequest = Request[Any, Any, Any]


def request_id() -> str:
    return str(uuid.uuid4())


def envelope(
    status: int,
    data: Any = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[bytes]:
    """``{"data", "errors", "metadata": {"requestId"}}`` with the same id in ``X-Request-ID``."""
    rid = request_id()
    body = {"data": data, "errors": errors, "metadata": {"requestId": rid}}
    return Response(
        content=msgspec.json.encode(body),
        status_code=status,
        media_type=JSON,
        headers={"X-Request-ID": rid, **(headers or {})},
    )


def error_item(code: str, message: str, instance: str = "unknown") -> dict[str, str]:
    return {"errorCode": code, "message": message, "instance": instance}


def error(status: int, code: str, message: str, instance: str = "unknown") -> Response[bytes]:
    return envelope(status, None, [error_item(code, message, instance)])


def invalid(message: str, instance: str = "data") -> Response[bytes]:
    """422: the request does not match the endpoint's JSON schema."""
    return error(422, "invalid-request-data", message, instance)


def per_page(request: AnyRequest, maximum: int) -> int:
    """``itemsPerPage``: "can be decreased only, the default value is maximum"."""
    raw = request.query_params.get("itemsPerPage")
    try:
        wanted = int(raw) if raw is not None else maximum
    except ValueError:
        wanted = maximum
    return max(1, min(wanted, maximum))


def page(request: AnyRequest, name: str, items: list[Any], maximum: int) -> dict[str, Any]:
    """One page of ``items`` under ``name`` with the documented ``paginator``."""
    size = per_page(request, maximum)
    try:
        number = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        number = 1
    chunk = items[(number - 1) * size : number * size]
    return {
        name: chunk,
        "paginator": {
            "totalCount": len(items),
            "page": number,
            "pageCount": math.ceil(len(items) / size),
            "itemsOnPage": len(chunk),
            "itemsPerPage": size,
        },
    }


async def json_body(request: AnyRequest) -> Any:
    """The request's JSON, or ``None`` when it is not JSON."""
    raw = await request.body()
    try:
        return msgspec.json.decode(raw) if raw else None
    except msgspec.DecodeError:
        return None

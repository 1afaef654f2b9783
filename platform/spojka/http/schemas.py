"""Base classes for the JSON shapes of the API: camelCase on the wire, unknown fields refused."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

import msgspec

T = TypeVar("T")


class Input(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    """A request body: a field the API does not know is an error, not silently ignored."""


class Output(msgspec.Struct, rename="camel", kw_only=True):
    """A response body."""


class Page(Output, Generic[T]):
    """Every list is answered in this shape."""

    items: list[T]
    total: int
    limit: int
    offset: int


Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]
Email = Annotated[str, msgspec.Meta(min_length=3, max_length=254)]

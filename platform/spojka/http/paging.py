"""Limit/offset parameters shared by list routes."""

from __future__ import annotations

from typing import Annotated

from litestar.params import Parameter

Limit = Annotated[int, Parameter(ge=1, le=200, description="Page size (1-200).")]
Offset = Annotated[int, Parameter(ge=0, le=1_000_000, description="Items to skip.")]
DEFAULT_LIMIT = 50

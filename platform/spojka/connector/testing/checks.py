"""Checks of canonical objects that the model's types alone do not enforce.

msgspec checks types when it *decodes*, not when a struct is constructed, and even when decoding it
accepts a datetime without a time zone. The canonical model's rule is stricter:

- every ``datetime`` is timezone-aware (a naive one is refused: "10:00" in Prague and "10:00" on a
  server in UTC are different instants, and guessing is how orders end up on the wrong day);
- every amount is a finite ``Decimal`` (never a ``float``: ``Decimal(0.1)`` is not ``0.1``);
- the object survives a msgspec JSON round trip unchanged.

:func:`model_problems` lists what breaks the rule, :func:`require_valid` raises on it, and
:func:`decode_model` decodes JSON and then applies the same rule. The contract suite runs these on
every object a connector returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

import msgspec

T = TypeVar("T")

#: More decimal places than any amount, quantity or exchange rate needs: the mark of a float
#: converted to Decimal (``Decimal(0.1)`` has 55 of them).
MAX_DECIMAL_PLACES = 8


def _scalar_problem(value: object) -> str | None:
    if isinstance(value, float):
        return f"float {value!r} where a Decimal belongs"
    if isinstance(value, Decimal):
        if not value.is_finite():
            return f"{value} is not a finite amount"
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -MAX_DECIMAL_PLACES:
            return f"{value} has more than {MAX_DECIMAL_PLACES} decimal places (from a float?)"
    if isinstance(value, datetime) and (value.tzinfo is None or value.utcoffset() is None):
        return f"datetime {value.isoformat()} has no time zone"
    return None


def _walk(value: object, path: str, problems: list[str]) -> None:
    if isinstance(value, msgspec.Struct):
        for name in value.__struct_fields__:
            _walk(getattr(value, name), f"{path}.{name}", problems)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _walk(item, f"{path}[{key!r}]", problems)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _walk(item, f"{path}[{index}]", problems)
    elif (problem := _scalar_problem(value)) is not None:
        problems.append(f"{path}: {problem}")


def model_problems(value: object, *, roundtrip: bool = True) -> list[str]:
    """What in ``value`` (a canonical struct, or a list/tuple/dict of them) breaks the model's rule.

    Empty when all is well. With ``roundtrip`` a struct must also come back equal from a msgspec JSON
    encode and typed decode.
    """
    problems: list[str] = []
    _walk(value, "$", problems)
    if roundtrip and isinstance(value, msgspec.Struct) and not problems:
        try:
            again = msgspec.json.decode(msgspec.json.encode(value), type=type(value))
        except (msgspec.ValidationError, msgspec.DecodeError, TypeError) as exc:
            problems.append(f"$: does not survive a JSON round trip: {exc}")
        else:
            if again != value:
                problems.append(f"$: a JSON round trip changes it: {again!r} != {value!r}")
    return problems


def require_valid(value: T) -> T:
    """``value`` itself, or :class:`ValueError` naming every problem :func:`model_problems` finds."""
    problems = model_problems(value)
    if problems:
        raise ValueError("; ".join(problems))
    return value


def decode_model(data: bytes | str, type: type[T]) -> T:  # noqa: A002 - mirrors msgspec's own argument
    """Decode JSON into a canonical type and refuse what msgspec lets through (naive datetimes, NaN)."""
    return require_valid(msgspec.json.decode(data, type=type))

"""Reporting for the benchmarks: progress lines, measured figures as JSON lines, optional profiles.

Progress goes to standard output as it happens; :func:`emit` prints the figures LAST, one JSON
object per line: ``{"name", "value", "unit", "target", "ok"}``. ``target`` is a short text such as
``">= 500"`` (or ``null`` for a figure reported for context only, whose ``ok`` is then ``true``:
there is nothing to miss).
"""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Comparison = Literal[">=", "<=", "=="]


def say(message: str = "") -> None:
    """One progress line, flushed at once (a benchmark may run for minutes)."""
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured figure and the target it is held against (if any)."""

    name: str
    value: float
    unit: str
    target: float | None = None
    compare: Comparison = ">="

    @property
    def ok(self) -> bool:
        if self.target is None:
            return True
        if self.compare == ">=":
            return self.value >= self.target
        if self.compare == "<=":
            return self.value <= self.target
        return self.value == self.target

    @property
    def target_text(self) -> str | None:
        if self.target is None:
            return None
        return f"{self.compare} {self.target:g}"

    def as_json(self) -> str:
        value: float | int = int(self.value) if float(self.value).is_integer() else round(self.value, 3)
        return json.dumps(
            {"name": self.name, "value": value, "unit": self.unit, "target": self.target_text, "ok": self.ok},
            ensure_ascii=False,
        )

    def line(self) -> str:
        """A human-readable summary line."""
        verdict = "" if self.target is None else ("  OK" if self.ok else "  MISSED")
        target = f"  (target {self.target_text})" if self.target is not None else ""
        return f"  {self.name:<40} {self.value:>12,.3f} {self.unit}{target}{verdict}"


def emit(figures: list[Figure]) -> None:
    """The summary, then the figures as JSON lines: the last lines of the output."""
    say()
    say("Summary")
    for figure in figures:
        say(figure.line())
    for figure in figures:
        say(figure.as_json())


class Stopwatch:
    """Wall-clock and process CPU time of a block (``with Stopwatch() as watch: ...``).

    CPU time is ``time.process_time()`` of this process: every thread of it, so it includes the
    in-process fake systems and, on SQLite, the database engine (aiosqlite runs it in a thread).
    """

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0
        self._wall0 = 0.0
        self._cpu0 = 0.0

    def __enter__(self) -> Stopwatch:
        self._wall0, self._cpu0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall = time.perf_counter() - self._wall0
        self.cpu = time.process_time() - self._cpu0


class Profiler:
    """cProfile around chosen blocks when a directory is given; a no-op otherwise.

    Each profiled block writes ``<dir>/<label>.prof`` (open it with ``python -m pstats`` or
    snakeviz) and prints its top functions by own time and by cumulative time.
    """

    def __init__(self, directory: Path | None, *, top: int = 30) -> None:
        self.directory = directory
        self.top = top

    @contextmanager
    def profile(self, label: str) -> Iterator[None]:
        if self.directory is None:
            yield
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        profiler = cProfile.Profile()
        profiler.enable()
        try:
            yield
        finally:
            profiler.disable()
            path = self.directory / f"{label}.prof"
            profiler.dump_stats(path)
            for key in ("tottime", "cumulative"):
                buffer = io.StringIO()
                stats = pstats.Stats(profiler, stream=buffer)
                stats.sort_stats(key).print_stats(self.top)
                say(f"--- profile {label}, top {self.top} by {key} (full: {path}) ---")
                say(buffer.getvalue())

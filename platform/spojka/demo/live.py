"""The demo's terminal view: per flow, how many runs, what they moved, and the newest trouble.

Redrawn in place on a terminal; on anything else (a pipe, a CI log) a plain summary line every
half minute, so the output stays a progress display, never a log flood.
"""

from __future__ import annotations

import sys
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

FLOWS = ("orders", "stock", "fulfilment", "products")
FINISHED = {"succeeded", "partial", "failed"}
COLUMNS = ("flow", "runs", "ok", "failed runs", "created", "updated", "failed records", "last run")


@dataclass
class FlowTotals:
    runs: int = 0
    succeeded: int = 0
    failed_runs: int = 0
    created: int = 0
    updated: int = 0
    failed: int = 0
    last: str = ""


@dataclass
class Summary:
    """What the demo link's runs did, from ``GET /api/v1/links/{id}/runs``."""

    flows: dict[str, FlowTotals] = field(default_factory=lambda: {f: FlowTotals() for f in FLOWS})
    running: int = 0
    newest_error: str = ""

    @classmethod
    def of(cls, runs: list[dict[str, Any]]) -> Summary:
        summary = cls()
        for run in sorted(runs, key=lambda r: r["queuedAt"]):
            totals = summary.flows.setdefault(run["flow"], FlowTotals())
            if run["status"] not in FINISHED:
                summary.running += 1
                continue
            totals.runs += 1
            totals.succeeded += run["status"] == "succeeded"
            totals.failed_runs += run["status"] == "failed"
            counts = run["counts"]
            totals.created += counts["created"]
            totals.updated += counts["updated"]
            totals.failed += counts["failed"]
            finished = datetime.fromisoformat(run["finishedAt"]).astimezone()
            totals.last = f"{finished:%H:%M:%S} {run['status']}"
            if run.get("error"):
                summary.newest_error = f"{run['flow']}: {run['error']}"
        return summary

    def line(self) -> str:
        """One line for logs and pipes."""
        parts = [
            f"{name} {t.runs} runs ({t.created} created, {t.updated} updated, {t.failed} failed)"
            for name, t in self.flows.items()
            if t.runs
        ]
        return "; ".join(parts) or "waiting for the first runs"


class LiveView:
    """Draws :class:`Summary` and the world's latest events."""

    def __init__(self) -> None:
        self.events: deque[str] = deque(maxlen=6)
        self.console = Console(file=sys.stdout)
        self.interactive = self.console.is_terminal
        self._live: Live | None = None
        self._last_line = 0.0

    def __enter__(self) -> LiveView:
        if self.interactive:
            self._live = Live(self._render(Summary()), console=self.console, refresh_per_second=2)
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.__exit__(None, None, None)

    def happened(self, events: list[str]) -> None:
        stamp = datetime.now().astimezone().strftime("%H:%M:%S")
        self.events.extend(f"{stamp} {event}" for event in events)

    def show(self, summary: Summary, now: float) -> None:
        if self._live is not None:
            self._live.update(self._render(summary))
        elif now - self._last_line >= 30:
            self._last_line = now
            print(f"spojka demo: {summary.line()}", flush=True)  # noqa: T201 (the view is the output)

    def _render(self, summary: Summary) -> Group:
        table = Table(title="Demo link: simulated Shoptet → simulated POHODA", expand=False)
        for column in COLUMNS:
            table.add_column(column, justify="left" if column in ("flow", "last run") else "right")
        for name, t in summary.flows.items():
            table.add_row(
                name,
                str(t.runs),
                str(t.succeeded),
                str(t.failed_runs),
                str(t.created),
                str(t.updated),
                str(t.failed),
                t.last or "-",
            )
        parts: list[Any] = [table]
        if summary.running:
            parts.append(Text(f"{summary.running} run(s) in progress", style="cyan"))
        if summary.newest_error:
            parts.append(Text(f"newest error: {summary.newest_error}"[:200], style="red"))
        parts.extend(Text(event, style="dim") for event in self.events)
        return Group(*parts)

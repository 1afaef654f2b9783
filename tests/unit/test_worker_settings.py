"""arq takes a dead worker's job over only after the largest function timeout (+10 s): no job of
the worker may have a longer timeout than the flow job's, or a killed run waits that long."""

from __future__ import annotations

from arq.worker import Function

from spojka.settings import Settings
from spojka.worker.settings import worker_settings


def test_no_job_outlasts_the_flow_job() -> None:
    for seconds in (3, 300):
        options = worker_settings(Settings(job_timeout_seconds=seconds), redis_url="redis://127.0.0.1:1/0")
        functions = [f for f in options["functions"] if isinstance(f, Function)]
        assert any(f.name == "run_flow" for f in functions)
        timeouts = {f.name: f.timeout_s for f in functions} | {
            c.name: c.timeout_s for c in options["cron_jobs"]
        }
        too_long = {name: t for name, t in timeouts.items() if t is not None and t > seconds}
        assert not too_long, f"jobs longer than the flow job's {seconds} s: {too_long}"

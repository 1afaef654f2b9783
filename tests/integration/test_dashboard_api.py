"""The dashboard's read-only summaries: ``GET /api/v1/links/{id}/status`` (each flow's state, last
and next run, the last day's counts) and ``GET /api/v1/links/{id}/daily`` (per-day counts for charts)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from spojka.db import Database
from spojka.runs.models import FlowHealth, Run
from tests.conftest import DatabaseUnderTest
from tests.support.api import ApiUser

pytestmark = pytest.mark.asyncio(loop_scope="session")

NOW = datetime.now(UTC)


async def add_runs(
    test_database: DatabaseUnderTest, tenant_id: str, link_id: str, runs: list[dict[str, Any]]
) -> None:
    """Runs written as the worker would write them."""
    tenant = uuid.UUID(tenant_id)
    db = Database(test_database.owner_url)
    try:
        async with db.session(tenant_id=tenant) as session:
            for spec in runs:
                at = spec.pop("at")
                finished = spec.pop("finished", True)
                session.add(
                    Run(
                        tenant_id=tenant,
                        link_id=uuid.UUID(link_id),
                        trigger=spec.pop("trigger", "schedule"),
                        queued_at=at,
                        started_at=at,
                        finished_at=at + timedelta(seconds=5) if finished else None,
                        **spec,
                    )
                )
            session.add(
                FlowHealth(
                    tenant_id=tenant,
                    link_id=uuid.UUID(link_id),
                    flow="stock",
                    failures_in_row=2,
                    last_error="POHODA is not reachable.",
                )
            )
    finally:
        await db.dispose()


@pytest.fixture
async def link_with_runs(owner: ApiUser, test_database: DatabaseUnderTest) -> dict[str, Any]:
    link = await owner.create_link()
    await add_runs(
        test_database,
        owner.tenant_id,
        link["id"],
        [
            {
                "flow": "orders",
                "status": "succeeded",
                "created": 3,
                "updated": 1,
                "at": NOW - timedelta(hours=2),
            },
            {
                "flow": "orders",
                "status": "partial",
                "created": 2,
                "failed": 1,
                "at": NOW - timedelta(hours=1),
            },
            {"flow": "orders", "status": "succeeded", "created": 7, "at": NOW - timedelta(days=3)},
            {"flow": "stock", "status": "failed", "error": "down", "at": NOW - timedelta(minutes=30)},
            {"flow": "stock", "status": "running", "at": NOW - timedelta(minutes=1), "finished": False},
            {"flow": "orders", "status": "succeeded", "created": 100, "at": NOW - timedelta(days=40)},
        ],
    )
    return link


async def test_status_gives_each_flow_state_last_and_next_run_and_the_last_day(
    owner: ApiUser, link_with_runs: dict[str, Any]
) -> None:
    response = await owner.get(f"/api/v1/links/{link_with_runs['id']}/status")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["linkId"] == link_with_runs["id"]
    assert body["paused"] is False
    flows = {f["flow"]: f for f in body["flows"]}
    assert set(flows) == {"orders", "stock", "products", "fulfilment"}

    orders = flows["orders"]
    assert orders["state"] == "failing"  # the newest finished run was partial
    assert orders["lastRun"]["status"] == "partial"
    assert orders["lastDay"] == {
        "runs": 2,
        "failedRuns": 1,
        "created": 5,
        "updated": 1,
        "skipped": 0,
        "failed": 1,
    }
    # The link's flows were put on the schedule when it was created: the next run is known.
    assert orders["nextRunAt"] is not None
    assert datetime.fromisoformat(orders["nextRunAt"]) <= NOW + timedelta(minutes=16)

    stock = flows["stock"]
    assert stock["state"] == "running"
    assert stock["failuresInRow"] == 2
    assert stock["lastError"] == "POHODA is not reachable."
    assert flows["products"]["state"] == "idle"
    assert flows["products"]["lastRun"] is None


async def test_a_paused_link_has_paused_flows_and_no_next_runs(
    owner: ApiUser, link_with_runs: dict[str, Any]
) -> None:
    link_id = link_with_runs["id"]
    assert (await owner.patch(f"/api/v1/links/{link_id}", json={"paused": True})).status_code == 200
    flows = (await owner.get(f"/api/v1/links/{link_id}/status")).json()["flows"]
    assert {f["state"] for f in flows} == {"paused"}
    assert {f["nextRunAt"] for f in flows} == {None}


async def test_a_disabled_flow_says_so(owner: ApiUser) -> None:
    link = await owner.create_link()
    flows = {**link["flows"], "fulfilment": {**link["flows"]["fulfilment"], "enabled": False}}
    assert (await owner.patch(f"/api/v1/links/{link['id']}", json={"flows": flows})).status_code == 200
    status = {f["flow"]: f for f in (await owner.get(f"/api/v1/links/{link['id']}/status")).json()["flows"]}
    assert status["fulfilment"]["state"] == "disabled"
    assert status["fulfilment"]["enabled"] is False
    assert status["fulfilment"]["nextRunAt"] is None
    assert status["orders"]["state"] == "idle"


async def test_daily_counts_sum_runs_per_day_and_flow_within_the_window(
    owner: ApiUser, link_with_runs: dict[str, Any]
) -> None:
    response = await owner.get(f"/api/v1/links/{link_with_runs['id']}/daily", params={"timeZone": "UTC"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["timeZone"] == "UTC"
    assert body["until"] == NOW.date().isoformat()
    assert body["since"] == (NOW.date() - timedelta(days=29)).isoformat()
    items = body["items"]
    assert [i["day"] for i in items] == sorted(i["day"] for i in items)
    orders = [i for i in items if i["flow"] == "orders"]
    assert sum(i["created"] for i in orders) == 12  # the run of 40 days ago is outside the window
    assert sum(i["runs"] for i in orders) == 3
    assert sum(i["failedRuns"] for i in items) == 2  # the partial orders run and the failed stock run
    three_days_ago = next(i for i in orders if i["day"] == (NOW - timedelta(days=3)).date().isoformat())
    assert three_days_ago["created"] == 7

    week = (await owner.get(f"/api/v1/links/{link_with_runs['id']}/daily", params={"days": 7})).json()
    assert week["timeZone"] == "Europe/Prague"
    assert sum(i["created"] for i in week["items"] if i["flow"] == "orders") == 12


async def test_daily_counts_refuse_bad_parameters_in_plain_words(
    owner: ApiUser, link_with_runs: dict[str, Any]
) -> None:
    url = f"/api/v1/links/{link_with_runs['id']}/daily"
    zone = await owner.get(url, params={"timeZone": "Mars/Olympus"})
    assert zone.status_code == 422
    assert zone.headers["content-type"].startswith("application/problem+json")
    assert "IANA" in zone.json()["detail"]
    assert (await owner.get(url, params={"days": 0})).status_code == 400
    assert (await owner.get(url, params={"days": 91})).status_code == 400


async def test_another_tenants_link_is_not_found(
    owner: ApiUser, new_user: Callable[[], Awaitable[ApiUser]], link_with_runs: dict[str, Any]
) -> None:
    stranger = await new_user()
    await stranger.signup()
    for path in ("status", "daily"):
        foreign = await stranger.get(f"/api/v1/links/{link_with_runs['id']}/{path}")
        missing = await stranger.get(f"/api/v1/links/{uuid.uuid4()}/{path}")
        assert foreign.status_code == missing.status_code == 404
        assert foreign.json() == missing.json()

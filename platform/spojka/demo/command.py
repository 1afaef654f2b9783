"""``spojka demo``: Spojka with a simulated Shoptet shop and POHODA company, live.

The supervisor of ``spojka run`` starts the API (with the dashboard) and a worker with its
scheduler, their logs going to ``VAR_DIR/log/``, and one more child, the demo world: the two
simulators on loopback, the customers and the accountant, and the live view in the terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from pathlib import Path

from spojka.db import Database
from spojka.demo.account import DEMO_EMAIL, DEMO_PASSWORD, ensure_demo_account
from spojka.demo.live import LiveView, Summary
from spojka.demo.setup import DemoApi, prepare, wait_for_api
from spojka.demo.world import Pace, World
from spojka.runtime.supervisor import ChildSpec, api_health_url, cli_command, run_all
from spojka.settings import Settings

log = logging.getLogger(__name__)
SAVE_EVERY = 5.0
VIEW_EVERY = 2.0


def run_demo(settings: Settings) -> int:
    """Everything of the demo until Ctrl-C (the schema is migrated and the keys checked first)."""
    asyncio.run(_ensure_account(settings))
    logs = settings.var_path / "log"
    api = ChildSpec(
        "api", cli_command("api"), health_url=api_health_url(settings), log_file=str(logs / "api.log")
    )
    worker = ChildSpec("worker", cli_command("worker"), log_file=str(logs / "worker.log"))
    world = ChildSpec("demo", cli_command("demo", "--world"))
    return run_all(settings, api_target=api, worker_target=worker, extra=[world])


async def _ensure_account(settings: Settings) -> None:
    db = Database(settings.effective_database_url)
    try:
        await ensure_demo_account(db)
    finally:
        await db.dispose()


def run_world(settings: Settings, pace: Pace | None = None) -> int:
    """The demo world's process: simulators, traffic, live view; saves and exits on SIGTERM."""
    _log_to_file(settings)
    return asyncio.run(_world(settings, pace or Pace().faster(settings.demo_speed)))


def _log_to_file(settings: Settings) -> None:
    """Everything the world logs goes to ``VAR_DIR/log/demo.log``: the terminal is the live view's.
    (Called again once the simulators run: their Litestar apps install a console handler.)"""
    logs = settings.var_path / "log"
    logs.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(logs / "demo.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    logging.getLogger("httpx").setLevel(logging.WARNING)


async def _world(settings: Settings, pace: Pace) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    world = World.load_or_create(Path(settings.var_path) / "demo")
    api_url = settings.effective_public_url
    try:
        with world.serving(settings.demo_shop_port, settings.demo_books_port) as (shop_url, books_url):
            _log_to_file(settings)
            await wait_for_api(api_url)
            api = DemoApi(api_url)
            try:
                shop = (
                    {"apiUrl": shop_url, "stockId": world.shop.default_stock_id},
                    {"apiToken": world.shop.token},
                )
                books = (
                    {"url": books_url, "ico": world.books.ico, "store": "ZBOŽÍ"},
                    {"username": world.books.username, "password": world.books.password},
                )
                link_id, made = await prepare(api, shop=shop, books=books)
                log.info("demo link %s (%s)", link_id, "made now" if made else "resumed")
                header = [
                    f"Demo: sign in at {api_url} as {DEMO_EMAIL} / {DEMO_PASSWORD}",
                    f"Simulated Shoptet at {shop_url}, simulated POHODA at {books_url} "
                    f"(state kept in {world.directory}); full logs in {settings.var_path / 'log'}",
                ]
                for line in header:
                    print(line, flush=True)  # noqa: T201 (the demo's own output)
                with LiveView() as view:
                    await _drive(world, api, link_id, view, pace, stop)
            finally:
                await api.aclose()
    finally:
        world.save()
        log.info("demo world saved")
    return 0


async def _drive(
    world: World, api: DemoApi, link_id: str, view: LiveView, pace: Pace, stop: asyncio.Event
) -> None:
    saved = shown = time.monotonic()
    while not stop.is_set():
        happened = await world.step(pace)
        for event in happened:
            log.info("%s", event)
        view.happened(happened)
        now = time.monotonic()
        if now - shown >= VIEW_EVERY:
            shown = now
            try:
                runs = await api.call("GET", f"/api/v1/links/{link_id}/runs", params={"limit": 200})
                view.show(Summary.of(runs["items"]), now)
            except Exception as exc:  # the view must never take the demo down
                log.warning("live view: %s", exc)
        if now - saved >= SAVE_EVERY:
            saved = now
            world.save()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=0.5)

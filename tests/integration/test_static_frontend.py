"""The built dashboard served at ``/``: its files, the single-page app's fallback, and the API's own
paths never shadowed by it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from litestar import Litestar, get

from spojka.http.home import ROUTES as HOME_ROUTES
from spojka.http.problems import EXCEPTION_HANDLERS, problem_details_plugin
from spojka.http.static import DEFAULT_DIST, RESERVED_PREFIXES, frontend_routes, spa_routes

pytestmark = pytest.mark.asyncio(loop_scope="session")

INDEX = "<!doctype html><title>Spojka</title><div id=root></div>"


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    build = tmp_path / "dist"
    (build / "assets").mkdir(parents=True)
    (build / "index.html").write_text(INDEX)
    (build / "assets" / "index-abc123.js").write_text("console.log('spojka')")
    (build / "favicon.svg").write_text("<svg/>")
    (tmp_path / "secret.txt").write_text("not for the web")
    return build


@get("/api/v1/thing", sync_to_thread=False, opt={"exclude_from_auth": True})
def thing() -> dict[str, str]:
    return {"thing": "yes"}


@pytest.fixture
async def client(dist: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = Litestar(
        route_handlers=[thing, *spa_routes(dist)],
        plugins=[problem_details_plugin()],
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=None,
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


async def test_root_and_app_paths_answer_the_entry_page(client: httpx.AsyncClient) -> None:
    for path in ("/", "/login", "/runs/6f1c2a7e-0000-4000-8000-000000000000", "/links/x/runs?flow=orders"):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert response.text == INDEX
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["cache-control"] == "no-cache"


async def test_build_files_are_served_and_hashed_assets_cached_for_good(client: httpx.AsyncClient) -> None:
    asset = await client.get("/assets/index-abc123.js")
    assert asset.status_code == 200
    assert asset.text == "console.log('spojka')"
    assert "javascript" in asset.headers["content-type"]
    assert "immutable" in asset.headers["cache-control"]
    icon = await client.get("/favicon.svg")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg")
    assert "immutable" not in icon.headers.get("cache-control", "")


async def test_nothing_outside_the_build_is_served(client: httpx.AsyncClient) -> None:
    for path in ("/..%2fsecret.txt", "/assets/..%2f..%2fsecret.txt", "/%2e%2e/secret.txt"):
        response = await client.get(path)
        assert "not for the web" not in response.text, path


@pytest.mark.parametrize("prefix", RESERVED_PREFIXES)
async def test_reserved_prefixes_are_never_the_app(client: httpx.AsyncClient, prefix: str) -> None:
    for path in (f"/{prefix}", f"/{prefix}/nothing/here"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["status"] == 404


async def test_existing_api_routes_win_and_other_methods_stay_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/thing")).json() == {"thing": "yes"}
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        for path in ("/api/v1/nothing", "/dashboard"):
            response = await client.request(method, path)
            assert response.status_code == 404, (method, path)


async def test_without_a_build_the_landing_page_stays(tmp_path: Path) -> None:
    assert frontend_routes(HOME_ROUTES, dist=tmp_path / "missing") == list(HOME_ROUTES)
    (tmp_path / "dist").mkdir()
    assert frontend_routes(HOME_ROUTES, dist=tmp_path / "dist") == list(HOME_ROUTES)


async def test_the_real_app_keeps_its_own_paths(app: Litestar) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        assert (await client.get("/health")).status_code == 200
        assert (await client.get("/schema/openapi.json")).json()["info"]["title"] == "Spojka API"
        missing = await client.get("/api/v1/no-such-thing")
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("application/problem+json")
        assert (await client.post("/api/v1/no-such-thing")).status_code in {403, 404}
        home = await client.get("/")
        assert home.status_code == 200
        assert home.headers["content-type"].startswith("text/html")
        assert "script-src 'self'" in home.headers["content-security-policy"]
        if (DEFAULT_DIST / "index.html").is_file():
            # Built: a reload on one of the app's own pages opens the app there.
            deep = await client.get("/runs/6f1c2a7e-0000-4000-8000-000000000000")
            assert deep.status_code == 200
            assert deep.text == home.text
            assert '<div id="root">' in home.text

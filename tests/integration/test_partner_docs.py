"""The shell examples of docs/partners.md, run in order with curl and jq against a real server."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest

from spojka.app import AppOptions, create_app
from spojka.db import Database
from spojka.partners.services import create_partner
from tests.conftest import DatabaseUnderTest
from tests.integration.conftest import build_registry, make_settings
from tests.support.api import PASSWORD
from tests.support.partners import EventReceiver
from tests.support.servers import serving

DOC = Path(__file__).resolve().parents[2] / "docs" / "partners.md"
SHELL_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.DOTALL | re.MULTILINE)


def _partner(url: str) -> tuple[str, str]:
    async def make() -> tuple[str, str]:
        db = Database(url)
        try:
            async with db.session() as session:
                _, made = await create_partner(session, f"Docs partner {uuid.uuid4().hex[:6]}")
                return str(made.client.id), made.secret
        finally:
            await db.dispose()

    return asyncio.run(make())


def _api_key(base: str) -> str:
    with httpx.Client(base_url=base) as client:
        client.get("/api/v1/auth/password-rules")  # the CSRF cookie the dashboard reads
        csrf = {"x-csrftoken": client.cookies["csrftoken"]}
        signed_up = client.post(
            "/api/v1/auth/signup",
            headers=csrf,
            json={
                "email": f"docs-{uuid.uuid4().hex[:8]}@example.cz",
                "password": PASSWORD,
                "companyName": "Docs",
            },
        )
        assert signed_up.status_code == 201, signed_up.text
        made = client.post(
            "/api/v1/api-keys",
            json={"name": "docs", "scopes": ["connections:read"]},
            headers=csrf,
        )
        assert made.status_code == 201, made.text
        return str(made.json()["key"])


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq")), reason="needs curl and jq")
def test_the_shell_examples_of_the_partner_guide_work(
    test_database: DatabaseUnderTest, redis_url: str, tmp_path: Path
) -> None:
    blocks = SHELL_BLOCK.findall(DOC.read_text())
    assert len(blocks) >= 8, "the guide's examples were not found"
    script = "\n".join(blocks)
    settings = make_settings(test_database, tmp_path)
    app = create_app(settings, AppOptions(registry=build_registry(), redis_url=redis_url))
    client_id, secret = _partner(test_database.runtime_url)
    with serving(app) as base, serving(EventReceiver()) as receiver:
        env = {
            "PATH": os.environ["PATH"],
            "SPOJKA": base,
            "CLIENT_ID": client_id,
            "CLIENT_SECRET": secret,
            "RECEIVER_URL": f"{receiver}/spojka-events",
            "API_KEY": _api_key(base),
        }
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"

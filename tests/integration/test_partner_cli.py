"""``spojka partners create NAME`` and ``spojka partners rotate-signing-key``, as an operator runs them."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

from tests.integration.test_cli import spojka


def test_create_prints_the_secret_once_and_stores_only_its_hash(tmp_path: Path) -> None:
    assert spojka(tmp_path, "migrate").returncode == 0
    created = spojka(tmp_path, "partners", "create", "Agentura Alfa", "--scope", "tenants:read")
    assert created.returncode == 0, created.stderr
    out = json.loads(created.stdout)
    assert out["name"] == "Agentura Alfa"
    assert out["scopes"] == ["tenants:read"]
    assert out["clientSecret"].startswith("spcs_")
    with sqlite3.connect(tmp_path / "var" / "spojka.db") as db:
        stored = db.execute("SELECT secret_hash, scopes FROM partner_clients").fetchall()
    assert stored == [(hashlib.sha256(out["clientSecret"].encode()).hexdigest(), "tenants:read")]
    assert out["clientSecret"] not in (tmp_path / "var" / "spojka.db").read_bytes().decode("latin-1")

    again = spojka(tmp_path, "partners", "create", "Agentura Alfa")
    assert again.returncode == 1
    assert "already exists" in again.stderr
    assert "Traceback" not in again.stderr
    unknown = spojka(tmp_path, "partners", "create", "Agentura Beta", "--scope", "root:all")
    assert unknown.returncode == 1
    assert "Unknown scopes" in unknown.stderr


def test_rotate_signing_key_names_the_new_key(tmp_path: Path) -> None:
    assert spojka(tmp_path, "migrate").returncode == 0
    first = spojka(tmp_path, "partners", "rotate-signing-key")
    second = spojka(tmp_path, "partners", "rotate-signing-key")
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    ids = [json.loads(r.stdout)["activeKeyId"] for r in (first, second)]
    assert ids[0] != ids[1]
    with sqlite3.connect(tmp_path / "var" / "spojka.db") as db:
        rows = dict(db.execute("SELECT id, verify_until FROM token_signing_keys").fetchall())
    # The newer key signs; the older one still verifies for a while (tokens already issued).
    assert rows[ids[1]] is None
    assert rows[ids[0]] is not None

"""The ``spojka`` command as an operator runs it: migrate, and refusing a wrong master key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from spojka.vault import generate_key_entry


def spojka(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SPOJKA_")}
    environment.update({"SPOJKA_VAR_DIR": str(tmp_path / "var"), "SPOJKA_LOG_LEVEL": "WARNING", **env})
    return subprocess.run(
        [sys.executable, "-m", "spojka", *args],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_migrate_is_idempotent(tmp_path: Path) -> None:
    first = spojka(tmp_path, "migrate")
    assert first.returncode == 0, first.stderr
    second = spojka(tmp_path, "migrate")
    assert second.returncode == 0, second.stderr
    assert "up to date" in second.stdout
    assert (tmp_path / "var" / "spojka.db").exists()


def test_wrong_or_missing_master_key_refuses_to_start(tmp_path: Path) -> None:
    right = generate_key_entry("k1")
    assert spojka(tmp_path, "migrate").returncode == 0
    # A first start with the right key records it (a burst worker starts, finds nothing to do, stops).
    started = spojka(tmp_path, "worker", "--burst", SPOJKA_MASTER_KEYS=right)
    assert started.returncode == 0, started.stderr

    wrong = spojka(tmp_path, "api", "--port", "1", SPOJKA_MASTER_KEYS=generate_key_entry("k1"))
    assert wrong.returncode == 1
    assert "refusing to start" in wrong.stderr
    assert "'k1'" in wrong.stderr
    assert right.split(":", 1)[1] not in wrong.stderr

    missing = spojka(tmp_path, "worker", "--burst", SPOJKA_MASTER_KEYS=generate_key_entry("k2"))
    assert missing.returncode == 1
    assert "does not contain key 'k1'" in missing.stderr

    assert spojka(tmp_path, "worker", "--burst", SPOJKA_MASTER_KEYS=right).returncode == 0

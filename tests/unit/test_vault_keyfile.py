"""The embedded default's key file, and where the key ring comes from."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from spojka.settings import Settings
from spojka.vault.crypto import KeyRing, KeyRingError, generate_key_entry
from spojka.vault.keyfile import (
    add_key_to_file,
    key_file_path,
    load_key_ring,
    remove_key_from_file,
    uses_key_file,
)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """A umask that would leave new files world-readable: the key file must still be 0600."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def same_keys(a: KeyRing, b: KeyRing) -> bool:
    return a.ids == b.ids and all(b.open(a.seal("probe", b"x", key_id=k), b"x") == "probe" for k in a.ids)


@pytest.mark.usefixtures("loose_umask")
def test_first_run_creates_a_private_key_file_then_reuses_it(tmp_path: Path) -> None:
    settings = Settings(var_dir=str(tmp_path / "var" / "nested"))
    path = key_file_path(settings)
    assert uses_key_file(settings)
    assert not path.exists()

    first = load_key_ring(settings, create=True)
    assert path == tmp_path / "var" / "nested" / "master.keys"
    assert mode(path) == 0o600
    assert len(first) == 1
    assert path.read_text().strip() == first.to_text()
    assert "master.keys" in first.source
    assert not [p for p in path.parent.iterdir() if p.name != "master.keys"]  # no temp files left

    second = load_key_ring(settings, create=True)
    third = load_key_ring(settings, create=False)
    assert same_keys(first, second)
    assert same_keys(first, third)


def test_no_file_without_create_is_an_error(tmp_path: Path) -> None:
    settings = Settings(var_dir=str(tmp_path))
    with pytest.raises(KeyRingError, match=r"no key file at .*master\.keys and SPOJKA_MASTER_KEYS is not"):
        load_key_ring(settings, create=False)
    assert not key_file_path(settings).exists()


def test_production_without_master_keys_refuses_and_writes_nothing(tmp_path: Path) -> None:
    settings = Settings(env="production", var_dir=str(tmp_path))
    assert not uses_key_file(settings)
    with pytest.raises(KeyRingError, match="SPOJKA_MASTER_KEYS is not set: in production"):
        load_key_ring(settings, create=True)
    assert not key_file_path(settings).exists()


def test_master_keys_win_over_the_key_file(tmp_path: Path) -> None:
    entry = generate_key_entry("env-key")
    settings = Settings(var_dir=str(tmp_path), master_keys=entry)
    assert not uses_key_file(settings)
    keys = load_key_ring(settings, create=True)
    assert keys.ids == ("env-key",)
    assert keys.source == "SPOJKA_MASTER_KEYS"
    assert not key_file_path(settings).exists()
    production = Settings(env="production", var_dir=str(tmp_path), master_keys=entry)
    assert load_key_ring(production, create=False).ids == ("env-key",)


def test_a_damaged_key_file_is_an_error_and_is_never_replaced(tmp_path: Path) -> None:
    settings = Settings(var_dir=str(tmp_path))
    path = key_file_path(settings)
    path.write_text("k1:tooshort\n")
    with pytest.raises(KeyRingError, match=r"the key file .*master\.keys: key 'k1' \(entry 1\)"):
        load_key_ring(settings, create=True)
    assert path.read_text() == "k1:tooshort\n"
    path.write_text("")
    with pytest.raises(KeyRingError, match="contains no keys"):
        load_key_ring(settings, create=True)


@pytest.mark.usefixtures("loose_umask")
def test_add_key_puts_a_new_active_key_first_and_keeps_the_old(tmp_path: Path) -> None:
    settings = Settings(var_dir=str(tmp_path))
    old = load_key_ring(settings, create=True)
    aad = b"aad"
    sealed = old.seal("value", aad)

    new_id = add_key_to_file(settings)
    ring = load_key_ring(settings, create=False)
    assert ring.ids == (new_id, old.active_id)
    assert ring.open(sealed, aad) == "value"
    assert mode(key_file_path(settings)) == 0o600

    named = add_key_to_file(settings, "k-named")
    assert load_key_ring(settings, create=False).ids == (named, new_id, old.active_id)
    with pytest.raises(KeyRingError, match="already has a key 'k-named'"):
        add_key_to_file(settings, "k-named")

    assert remove_key_from_file(settings, old.active_id) is True
    assert remove_key_from_file(settings, old.active_id) is False
    assert load_key_ring(settings, create=False).ids == (named, new_id)
    with pytest.raises(KeyRingError, match="active key"):
        remove_key_from_file(settings, named)
    assert mode(key_file_path(settings)) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["master.keys"]


def test_the_key_file_is_not_edited_when_it_is_not_in_use(tmp_path: Path) -> None:
    with pytest.raises(KeyRingError, match="SPOJKA_MASTER_KEYS is set"):
        add_key_to_file(Settings(var_dir=str(tmp_path), master_keys=generate_key_entry()))
    with pytest.raises(KeyRingError, match="production"):
        add_key_to_file(Settings(env="production", var_dir=str(tmp_path)))
    with pytest.raises(KeyRingError, match="no key file"):
        add_key_to_file(Settings(var_dir=str(tmp_path)))

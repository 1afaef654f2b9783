"""Where the key ring comes from: ``SPOJKA_MASTER_KEYS``, or the embedded default's key file.

Outside production, when ``SPOJKA_MASTER_KEYS`` is empty, the keys live in ``VAR_DIR/master.keys``
(same ``id:base64key,...`` text, newest first), created with mode 0600 on first run. In production
a missing ``SPOJKA_MASTER_KEYS`` refuses to start: a process never invents a key there.

A key file that exists but cannot be read or parsed is an error, never a reason to create a new
one: a fresh key would leave every stored credential unreadable.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from spojka.settings import Settings
from spojka.vault.crypto import (
    KEY_BYTES,
    KeyRing,
    KeyRingError,
    generate_key_entry,
    new_key_id,
    validate_key_id,
)

__all__ = (
    "ENV_NAME",
    "KEY_FILE_NAME",
    "add_key_to_file",
    "key_file_path",
    "load_key_ring",
    "remove_key_from_file",
    "uses_key_file",
)

ENV_NAME = "SPOJKA_MASTER_KEYS"
KEY_FILE_NAME = "master.keys"
_FILE_MODE = 0o600


def key_file_path(settings: Settings) -> Path:
    """The embedded default's key file: ``VAR_DIR/master.keys``."""
    return settings.var_path / KEY_FILE_NAME


def uses_key_file(settings: Settings) -> bool:
    """True when the keys come from the key file (SPOJKA_MASTER_KEYS empty, not production)."""
    return not settings.master_keys.strip() and not settings.is_production


def _file_source(path: Path) -> str:
    return f"the key file {path}"


def load_key_ring(settings: Settings, *, create: bool) -> KeyRing:
    """The process's key ring.

    ``create`` allows writing a fresh key file when there is none (first run of the embedded
    default); the API and worker pass ``True``, maintenance commands ``False``.
    """
    if settings.master_keys.strip():
        return KeyRing.parse(settings.master_keys, source=ENV_NAME)
    if settings.is_production:
        msg = (
            f"{ENV_NAME} is not set: in production Spojka does not start without its key ring. "
            f"Set {ENV_NAME}=id:base64key (generate one with `spojka keys generate`)"
        )
        raise KeyRingError(msg)
    path = key_file_path(settings)
    if not path.exists():
        if not create:
            msg = (
                f"no key file at {path} and {ENV_NAME} is not set "
                "(Spojka creates the key file when it first starts, e.g. `spojka run`)"
            )
            raise KeyRingError(msg)
        _create_exclusive(path, generate_key_entry() + "\n")
    return _read(path)


def _read(path: Path) -> KeyRing:
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"cannot read the key file {path}: {exc.__class__.__name__}"
        raise KeyRingError(msg) from None
    return KeyRing.parse(text, source=_file_source(path))


def _write_temp(directory: Path, text: str) -> Path:
    """Write ``text`` to a new 0600 file in ``directory`` (flushed to disk) and return its path."""
    temp = directory / f".{KEY_FILE_NAME}.{secrets.token_hex(8)}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE_MODE)
    try:
        os.fchmod(fd, _FILE_MODE)  # the umask may only narrow it, but be exact
        os.write(fd, text.encode("ascii"))
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        temp.unlink(missing_ok=True)
        raise
    os.close(fd)
    return temp


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _create_exclusive(path: Path, text: str) -> None:
    """Create ``path`` with ``text`` atomically; if another process won the race, keep its file."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temp = _write_temp(path.parent, text)
    try:
        with contextlib.suppress(FileExistsError):
            os.link(temp, path)  # never a half-written key file, never an overwritten one
    finally:
        temp.unlink(missing_ok=True)
    _fsync_dir(path.parent)


def _replace(path: Path, ring: KeyRing) -> None:
    temp = _write_temp(path.parent, ring.to_text() + "\n")
    try:
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _require_key_file(settings: Settings) -> Path:
    if not uses_key_file(settings):
        where = f"{ENV_NAME} is set" if settings.master_keys.strip() else "this is production"
        msg = f"the key file is not in use ({where}): change {ENV_NAME} instead"
        raise KeyRingError(msg)
    path = key_file_path(settings)
    if not path.exists():
        msg = f"no key file at {path}"
        raise KeyRingError(msg)
    return path


def add_key_to_file(settings: Settings, key_id: str | None = None) -> str:
    """Put a fresh random key first (active) in the key file, keeping the others; return its id."""
    path = _require_key_file(settings)
    ring = _read(path)
    key_id = validate_key_id(key_id) if key_id is not None else new_key_id()
    if key_id in ring:
        msg = f"the key file {path} already has a key {key_id!r}"
        raise KeyRingError(msg)
    _replace(path, ring.with_active(key_id, secrets.token_bytes(KEY_BYTES)))
    return key_id


def remove_key_from_file(settings: Settings, key_id: str) -> bool:
    """Drop a (retired) key from the key file; False if it was not there. Refuses the active key."""
    path = _require_key_file(settings)
    ring = _read(path)
    if key_id not in ring:
        return False
    _replace(path, ring.without(key_id))
    return True

"""AES-256-GCM sealing under a key ring, with versioned envelopes bound to where they are stored.

An envelope is the text ``v1.<key_id>.<nonce>.<ciphertext+tag>`` (nonce and ciphertext in unpadded
base64url). The AEAD associated data is the envelope's header (``v1.<key_id>``) followed by the
caller's associated data, which for a stored secret names its tenant, owner (connection) and
field (:func:`secret_aad`). A ciphertext copied into another row, tenant or field, or edited in any
way, therefore fails to open (:class:`EnvelopeRejectedError`) instead of yielding a wrong value.

Key material never appears in an error message or a ``repr``: messages name key ids and positions.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = (
    "ENVELOPE_VERSION",
    "KEY_BYTES",
    "NONCE_BYTES",
    "EnvelopeError",
    "EnvelopeRejectedError",
    "KeyRing",
    "KeyRingError",
    "MalformedEnvelopeError",
    "UnknownKeyError",
    "VaultError",
    "envelope_key_id",
    "generate_key_entry",
    "new_key_id",
    "secret_aad",
    "validate_key_id",
    "verifier_aad",
)

ENVELOPE_VERSION = "v1"
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # 96 bits, the size NIST recommends for GCM
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_DEFAULT_SOURCE = "the key ring"


class VaultError(Exception):
    """Base class of every error the vault raises."""


class KeyRingError(VaultError):
    """The key ring is missing, malformed, or does not fit the stored data."""


class EnvelopeError(VaultError):
    """A sealed value cannot be opened. Never treated as plaintext or as an empty value."""


class MalformedEnvelopeError(EnvelopeError):
    """The stored text is not an envelope this version of Spojka understands."""


class UnknownKeyError(EnvelopeError):
    """The envelope names a key that is not in the key ring."""


class EnvelopeRejectedError(EnvelopeError):
    """Authentication failed: the envelope was altered, was sealed for another place, or the key differs."""


def validate_key_id(key_id: str) -> str:
    """Return ``key_id`` if it is 1-64 characters of ``A-Z a-z 0-9 _ -``, else raise :class:`KeyRingError`."""
    if not _KEY_ID.fullmatch(key_id):
        msg = f"invalid key id {key_id!r}: use 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'"
        raise KeyRingError(msg)
    return key_id


def _canonical_uuid(value: uuid.UUID | str) -> str:
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(value))


def secret_aad(tenant_id: uuid.UUID | str, owner_id: uuid.UUID | str, field: str) -> bytes:
    """Associated data of a stored secret: binds it to its tenant, owner (connection) and field."""
    return f"secret|{_canonical_uuid(tenant_id)}|{_canonical_uuid(owner_id)}|{field}".encode()


def verifier_aad(key_id: str) -> bytes:
    """Associated data of a key's verification record (distinct from any secret's)."""
    return f"verifier|{key_id}".encode()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    if not _B64URL.fullmatch(text):
        raise ValueError(text)
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _decode_key(text: str) -> bytes:
    """Standard or URL-safe base64, padding optional."""
    stripped = text.strip().replace("-", "+").replace("_", "/").rstrip("=")
    padded = stripped + "=" * (-len(stripped) % 4)
    try:
        return base64.b64decode(padded.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise ValueError from None


def _label(key_id: str, position: int) -> str:
    """How messages name a key: its id, unless the id is long enough to be a pasted key itself."""
    return f"key {key_id!r} (entry {position})" if len(key_id) < 40 else f"the key of entry {position}"


def _parse_envelope(envelope: str) -> tuple[str, str, bytes, bytes]:
    """Split an envelope into (header, key id, nonce, ciphertext) or raise :class:`MalformedEnvelopeError`."""
    parts = envelope.split(".") if isinstance(envelope, str) else []
    if len(parts) != 4 or parts[0] != ENVELOPE_VERSION or not _KEY_ID.fullmatch(parts[1]):
        msg = f"not a {ENVELOPE_VERSION} envelope (expected {ENVELOPE_VERSION}.<key id>.<nonce>.<ciphertext>)"
        raise MalformedEnvelopeError(msg)
    try:
        nonce, ciphertext = _unb64url(parts[2]), _unb64url(parts[3])
    except (binascii.Error, ValueError):
        msg = "envelope is damaged: nonce or ciphertext is not base64url"
        raise MalformedEnvelopeError(msg) from None
    if len(nonce) != NONCE_BYTES or len(ciphertext) < 16:
        msg = "envelope is damaged: wrong nonce or ciphertext length"
        raise MalformedEnvelopeError(msg)
    return f"{parts[0]}.{parts[1]}", parts[1], nonce, ciphertext


def envelope_key_id(envelope: str) -> str:
    """The id of the key an envelope was sealed with (no decryption)."""
    return _parse_envelope(envelope)[1]


class KeyRing:
    """An ordered set of 256-bit keys; the first one is active and seals, every one can open.

    Build it with :meth:`parse` from the ``id:base64key,...`` text of ``SPOJKA_MASTER_KEYS`` or the
    key file. ``source`` names where the keys came from, for error messages.
    """

    __slots__ = ("_aead", "_keys", "_source")

    def __init__(self, entries: Iterable[tuple[str, bytes]], *, source: str = _DEFAULT_SOURCE) -> None:
        keys: dict[str, bytes] = {}
        for position, (key_id, key) in enumerate(entries, start=1):
            validate_key_id(key_id)
            if key_id in keys:
                msg = f"{source}: {_label(key_id, position)} repeats a key id; key ids must be unique"
                raise KeyRingError(msg)
            if len(key) != KEY_BYTES:
                msg = (
                    f"{source}: {_label(key_id, position)} is {len(key)} bytes long; "
                    f"keys must be {KEY_BYTES} random bytes (AES-256), base64-encoded"
                )
                raise KeyRingError(msg)
            keys[key_id] = bytes(key)
        if not keys:
            msg = f"{source} contains no keys (expected id:base64key,...)"
            raise KeyRingError(msg)
        self._keys = keys
        self._aead = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._source = source

    @classmethod
    def parse(cls, text: str, *, source: str = "SPOJKA_MASTER_KEYS") -> KeyRing:
        """Parse ``id:base64key,...`` (whitespace around entries ignored; the first entry is active)."""
        entries: list[tuple[str, bytes]] = []
        for position, raw in enumerate((e.strip() for e in text.split(",")), start=1):
            if not raw:
                continue
            key_id, sep, encoded = raw.partition(":")
            key_id = key_id.strip()
            if not sep:
                msg = f"{source}: entry {position} is not of the form id:base64key"
                raise KeyRingError(msg)
            if not _KEY_ID.fullmatch(key_id):
                msg = (
                    f"{source}: entry {position} has an invalid key id; "
                    "use 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'"
                )
                raise KeyRingError(msg)
            try:
                key = _decode_key(encoded)
            except ValueError:
                msg = f"{source}: {_label(key_id, position)} is not valid base64"
                raise KeyRingError(msg) from None
            entries.append((key_id, key))
        return cls(entries, source=source)

    # -- inspection --------------------------------------------------------------------------
    @property
    def source(self) -> str:
        """Where the keys came from (``SPOJKA_MASTER_KEYS`` or the key file), for messages."""
        return self._source

    @property
    def active_id(self) -> str:
        """The id of the key that seals."""
        return next(iter(self._keys))

    @property
    def ids(self) -> tuple[str, ...]:
        """Every key id, active first."""
        return tuple(self._keys)

    def __contains__(self, key_id: object) -> bool:
        return key_id in self._keys

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"KeyRing(ids={list(self._keys)!r}, active={self.active_id!r}, source={self._source!r})"

    def to_text(self) -> str:
        """The ring as ``id:base64key,...``. Contains key material: only for writing the key file."""
        return ",".join(
            f"{key_id}:{base64.b64encode(key).decode('ascii')}" for key_id, key in self._keys.items()
        )

    def with_active(self, key_id: str, key: bytes) -> KeyRing:
        """A new ring with ``key`` put first (active) and every current key kept after it."""
        return KeyRing([(key_id, key), *self._keys.items()], source=self._source)

    def without(self, key_id: str) -> KeyRing:
        """A new ring without ``key_id`` (which must not be the active key)."""
        if key_id == self.active_id:
            msg = f"key {key_id!r} is the active key of {self._source} and cannot be removed"
            raise KeyRingError(msg)
        return KeyRing([(k, v) for k, v in self._keys.items() if k != key_id], source=self._source)

    # -- sealing -----------------------------------------------------------------------------
    def seal(self, plaintext: str, aad: bytes, *, key_id: str | None = None) -> str:
        """Encrypt ``plaintext`` under the active key (or ``key_id``) with a fresh random nonce."""
        key_id = self.active_id if key_id is None else key_id
        aead = self._aead.get(key_id)
        if aead is None:
            msg = f"{self._source} has no key {key_id!r}"
            raise UnknownKeyError(msg)
        header = f"{ENVELOPE_VERSION}.{key_id}"
        nonce = os.urandom(NONCE_BYTES)
        ciphertext = aead.encrypt(nonce, plaintext.encode("utf-8"), header.encode("ascii") + b"\x00" + aad)
        return f"{header}.{_b64url(nonce)}.{_b64url(ciphertext)}"

    def open(self, envelope: str, aad: bytes) -> str:
        """Decrypt an envelope sealed with the same ``aad``; raise an :class:`EnvelopeError` otherwise."""
        header, key_id, nonce, ciphertext = _parse_envelope(envelope)
        aead = self._aead.get(key_id)
        if aead is None:
            msg = f"sealed with key {key_id!r}, which {self._source} does not contain"
            raise UnknownKeyError(msg)
        try:
            data = aead.decrypt(nonce, ciphertext, header.encode("ascii") + b"\x00" + aad)
        except InvalidTag:
            msg = (
                f"does not open with key {key_id!r}: it was altered, belongs to another tenant, "
                "connection or field, or the key is not the one that sealed it"
            )
            raise EnvelopeRejectedError(msg) from None
        return data.decode("utf-8")


def new_key_id() -> str:
    """A fresh key id: ``k`` + today's date (UTC) + a random suffix, e.g. ``k20260115-3fa2c1``."""
    return f"k{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(3)}"


def generate_key_entry(key_id: str | None = None) -> str:
    """A new ``id:base64key`` entry with 32 random bytes, ready for SPOJKA_MASTER_KEYS."""
    key_id = validate_key_id(key_id) if key_id is not None else new_key_id()
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode('ascii')}"

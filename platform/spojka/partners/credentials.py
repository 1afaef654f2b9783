"""Generating, hashing and checking the secrets callers hold: client secrets and API keys.

Each is 256 random bits, so one SHA-256 is the right hash (a slow password hash protects guessable
secrets; these are not guessable). Comparisons are constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid

CLIENT_SECRET_PREFIX = "spcs_"  # noqa: S105 (a prefix, not a secret)
API_KEY_PREFIX = "spk_"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def same_secret(secret: str, expected_hash: str) -> bool:
    """Whether ``secret`` hashes to ``expected_hash``, in constant time."""
    return hmac.compare_digest(hash_secret(secret), expected_hash)


def new_client_secret() -> str:
    return CLIENT_SECRET_PREFIX + secrets.token_urlsafe(32)


def new_api_key(tenant_id: uuid.UUID) -> str:
    """``spk_<tenant hex>_<random>``: the key names its tenant, so it can be looked up with the
    tenant bound (row-level security), as invitation tokens do."""
    return f"{API_KEY_PREFIX}{tenant_id.hex}_{secrets.token_urlsafe(32)}"


def api_key_tenant(key: str) -> uuid.UUID | None:
    """The tenant an API key names, or None when it is not shaped like one of ours."""
    if not key.startswith(API_KEY_PREFIX):
        return None
    tenant_hex, _, rest = key[len(API_KEY_PREFIX) :].partition("_")
    if not rest:
        return None
    try:
        return uuid.UUID(hex=tenant_hex)
    except ValueError:
        return None


def display_prefix(key: str) -> str:
    """The start of a key, safe to show in lists so people can tell their keys apart."""
    return key[: len(API_KEY_PREFIX) + 8]

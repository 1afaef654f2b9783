"""Access tokens: short-lived JWTs (HS256) signed with rotatable keys sealed in the vault.

- The newest signing key signs; every key whose ``verify_until`` has not passed verifies (the JWT
  ``kid`` names it). ``rotate_signing_key`` adds a new key and lets the previous ones verify for
  one more token lifetime, so a rotation never cuts off a token already issued.
- A key is 256 random bits sealed with the vault's key ring (AES-256-GCM, bound to its id), so a
  database dump alone cannot mint tokens. If the vault key that sealed it is retired, the key is
  skipped and a new one made: tokens live minutes, clients simply fetch a new one.
- Tokens carry the client and partner ids and the granted scopes; the client is looked up on every
  request, so revoking a client ends its tokens at once.
"""

from __future__ import annotations

import logging
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OctKey
from sqlalchemy import delete, select

from spojka.db import Database, utcnow
from spojka.partners.models import SigningKey
from spojka.vault import KeyRing, VaultError

log = logging.getLogger(__name__)

ISSUER = "spojka"
AUDIENCE = "spojka-api"
ALGORITHM = "HS256"
#: Lifetime of an access token (seconds). Short, because a bearer token cannot be recalled.
TOKEN_LIFETIME = 900
#: How long a process trusts its cached keys before reading them again (a rotation by another
#: process is seen within this time; an unknown ``kid`` forces a fresh read at once).
CACHE_SECONDS = 60
_CLAIMS = jwt.JWTClaimsRegistry(
    iss={"essential": True, "value": ISSUER},
    aud={"essential": True, "value": AUDIENCE},
    exp={"essential": True},
    sub={"essential": True},
)


class InvalidToken(Exception):  # noqa: N818 (reads as what it is)
    """The token is malformed, tampered with, expired, or signed with an unknown key."""


@dataclass(frozen=True, slots=True)
class TokenClaims:
    client_id: uuid.UUID
    partner_id: uuid.UUID
    scopes: frozenset[str]
    expires_at: int


def _aad(kid: str) -> bytes:
    return f"token-signing-key|{kid}".encode()


class TokenKeys:
    """The signing keys, cached per process."""

    def __init__(self, db: Database, ring: KeyRing) -> None:
        self._db = db
        self._ring = ring
        self._keys: dict[str, OctKey] = {}
        self._active: str | None = None
        self._loaded_at = 0.0

    async def _load(self) -> None:
        now = utcnow()
        async with self._db.session() as session:
            rows = list(await session.scalars(select(SigningKey).order_by(SigningKey.created_at.desc())))
        keys: dict[str, OctKey] = {}
        active: str | None = None
        for row in rows:
            if row.verify_until is not None and row.verify_until < now:
                continue
            try:
                raw = self._ring.open(row.sealed_key, _aad(row.id))
            except VaultError:
                log.warning("token signing key %s cannot be opened with the key ring; skipped", row.id)
                continue
            keys[row.id] = OctKey.import_key(bytes.fromhex(raw), {"kid": row.id})
            if active is None and row.verify_until is None:
                active = row.id
        if active is None:
            active = await rotate_signing_key(self._db, self._ring)
            return await self._load()
        self._keys, self._active, self._loaded_at = keys, active, time.monotonic()
        return None

    async def _fresh(self, *, force: bool = False) -> None:
        if force or self._active is None or time.monotonic() - self._loaded_at > CACHE_SECONDS:
            await self._load()

    async def issue(self, client_id: uuid.UUID, partner_id: uuid.UUID, scopes: frozenset[str]) -> str:
        """A signed access token for the client, valid for ``TOKEN_LIFETIME`` seconds."""
        await self._fresh()
        assert self._active is not None
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": str(client_id),
            "pid": str(partner_id),
            "scope": " ".join(sorted(scopes)),
            "iat": now,
            "exp": now + TOKEN_LIFETIME,
            "jti": secrets.token_urlsafe(12),
        }
        header = {"alg": ALGORITHM, "kid": self._active, "typ": "at+jwt"}
        return jwt.encode(header, claims, self._keys[self._active], algorithms=[ALGORITHM])

    async def verify(self, token: str) -> TokenClaims:
        """The token's claims; ``InvalidToken`` for anything but a valid, current token of ours."""
        await self._fresh()
        try:
            kid = jws.extract_compact(token.encode()).headers().get("kid")
        except (JoseError, ValueError) as exc:
            raise InvalidToken("malformed token") from exc
        if not isinstance(kid, str):
            raise InvalidToken("token without a key id")
        if kid not in self._keys:
            await self._fresh(force=True)
            if kid not in self._keys:
                raise InvalidToken("unknown signing key")
        try:
            decoded = jwt.decode(token, KeySet([self._keys[kid]]), algorithms=[ALGORITHM])
            _CLAIMS.validate(decoded.claims)
            claims = decoded.claims
            return TokenClaims(
                client_id=uuid.UUID(str(claims["sub"])),
                partner_id=uuid.UUID(str(claims["pid"])),
                scopes=frozenset(str(claims.get("scope", "")).split()),
                expires_at=int(claims["exp"]),
            )
        except (JoseError, ValueError, KeyError, TypeError) as exc:
            raise InvalidToken(str(exc)) from exc


async def rotate_signing_key(db: Database, ring: KeyRing) -> str:
    """Add a new signing key (it signs from now on); earlier keys verify one more token lifetime,
    and keys past that are deleted. Returns the new key's id."""
    kid = "k" + secrets.token_hex(8)
    now = utcnow()
    async with db.session() as session:
        for row in await session.scalars(select(SigningKey).where(SigningKey.verify_until.is_(None))):
            row.verify_until = now + timedelta(seconds=TOKEN_LIFETIME + 60)
        await session.execute(delete(SigningKey).where(SigningKey.verify_until < now))
        session.add(SigningKey(id=kid, sealed_key=ring.seal(secrets.token_bytes(32).hex(), _aad(kid))))
    return kid

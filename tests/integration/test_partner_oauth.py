"""``POST /oauth/token`` (client credentials, RFC 6749) and the access tokens it issues."""

from __future__ import annotations

import base64
import time
import uuid

import httpx
from joserfc import jws, jwt
from litestar import Litestar

from spojka.partners.tokens import ALGORITHM, AUDIENCE, ISSUER, TokenKeys, rotate_signing_key
from tests.support.partners import ApiPartner, NewPartner, new_partner

__all__ = ("new_partner",)

PROBLEM_JSON = "application/problem+json"


def _error(response: httpx.Response) -> str:
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.text
    body = response.json()
    assert body["status"] == response.status_code
    assert body["error_description"]
    return str(body["error"])


async def test_basic_auth_issues_a_bearer_token(new_partner: NewPartner) -> None:
    partner = await new_partner()
    response = await partner.token_response()
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert "tenants:write" in body["scope"].split()
    listed = await partner.get("/partner/v1/tenants", token=body["access_token"])
    assert listed.status_code == 200, listed.text
    assert listed.json()["total"] == 0


async def test_form_fields_authenticate_too(new_partner: NewPartner) -> None:
    partner = await new_partner()
    response = await partner.client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": partner.client_id,
            "client_secret": partner.secret,
            "scope": "tenants:read",
            "unknown_parameter": "is ignored, as RFC 6749 requires",
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "tenants:read"


async def test_basic_credentials_are_form_urlencoded_before_base64(new_partner: NewPartner) -> None:
    partner = await new_partner()
    raw = f"{partner.client_id}:{partner.secret}".replace("-", "%2D")
    header = "Basic " + base64.b64encode(raw.encode()).decode()
    response = await partner.client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, headers={"Authorization": header}
    )
    assert response.status_code == 200, response.text


async def test_wrong_unknown_or_missing_client_is_invalid_client(new_partner: NewPartner) -> None:
    partner = await new_partner()
    attempts = [
        await partner.client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=(partner.client_id, "wrong")
        ),
        await partner.client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(str(uuid.uuid4()), partner.secret),
        ),
        await partner.client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=("not-a-uuid", partner.secret)
        ),
        await partner.client.post("/oauth/token", data={"grant_type": "client_credentials"}),
    ]
    bodies = []
    for response in attempts:
        assert response.status_code == 401, response.text
        assert _error(response) == "invalid_client"
        assert response.headers["www-authenticate"].startswith("Basic")
        bodies.append(response.json())
    # Nothing tells an unknown client from a wrong secret.
    assert all(body == bodies[0] for body in bodies)


async def test_grant_and_request_errors(new_partner: NewPartner) -> None:
    partner = await new_partner()
    unsupported = await partner.token_response(grant_type="password")
    assert unsupported.status_code == 400
    assert _error(unsupported) == "unsupported_grant_type"

    missing = await partner.client.post("/oauth/token", data={}, auth=(partner.client_id, partner.secret))
    assert missing.status_code == 400
    assert _error(missing) == "invalid_request"

    as_json = await partner.client.post(
        "/oauth/token", json={"grant_type": "client_credentials"}, auth=(partner.client_id, partner.secret)
    )
    assert as_json.status_code == 400
    assert _error(as_json) == "invalid_request"

    both = await partner.client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": partner.client_id,
            "client_secret": partner.secret,
        },
        auth=(partner.client_id, partner.secret),
    )
    assert both.status_code == 400
    assert _error(both) == "invalid_request"


async def test_scope_beyond_the_client_is_invalid_scope(new_partner: NewPartner) -> None:
    partner = await new_partner(frozenset({"tenants:read"}))
    refused = await partner.token_response("tenants:read tenants:write")
    assert refused.status_code == 400
    assert _error(refused) == "invalid_scope"
    unknown = await partner.token_response("everything:please")
    assert _error(unknown) == "invalid_scope"
    granted = await partner.token_response("tenants:read")
    assert granted.status_code == 200
    assert granted.json()["scope"] == "tenants:read"


def _kid(token: str) -> str:
    return str(jws.extract_compact(token.encode()).headers()["kid"])


async def _foreign_token(app: Litestar, partner: ApiPartner, **claims: object) -> str:
    """A token signed with the real active key, with the claims given (to test expiry and the like)."""
    keys: TokenKeys = app.state.token_keys
    valid = await keys.issue(
        uuid.UUID(partner.client_id), uuid.UUID(partner.partner_id), frozenset({"tenants:read"})
    )
    kid = _kid(valid)
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": partner.client_id,
        "pid": partner.partner_id,
        "scope": "tenants:read",
        "iat": now,
        "exp": now + 60,
        **claims,
    }
    return jwt.encode({"alg": ALGORITHM, "kid": kid}, payload, keys._keys[kid], algorithms=[ALGORITHM])


async def test_expired_tampered_or_foreign_tokens_are_401(app: Litestar, new_partner: NewPartner) -> None:
    partner = await new_partner()
    good = await partner.fetch_token()
    assert (await partner.get("/partner/v1/tenants")).status_code == 200

    header, payload, signature = good.split(".")
    tampered_payload = (
        base64.urlsafe_b64encode(
            base64.urlsafe_b64decode(payload + "==").replace(b"tenants:read", b"tenants:rEad")
        )
        .rstrip(b"=")
        .decode()
    )
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    unsigned = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    other_partner = await new_partner()
    cases = {
        "expired": await _foreign_token(app, partner, exp=int(time.time()) - 5, iat=int(time.time()) - 1000),
        "wrong audience": await _foreign_token(app, partner, aud="someone-else"),
        "wrong issuer": await _foreign_token(app, partner, iss="evil"),
        "partner mismatch": await _foreign_token(app, partner, pid=other_partner.partner_id),
        "tampered payload": f"{header}.{tampered_payload}.{signature}",
        "tampered signature": f"{header}.{payload}.{flipped}",
        "alg none": f"{unsigned}.{payload}.",
        "garbage": "not.a.token",
        "empty": "",
    }
    for case, token in cases.items():
        response = await partner.client.get(
            "/partner/v1/tenants", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401, f"{case}: {response.status_code} {response.text}"
        assert response.headers["content-type"].startswith(PROBLEM_JSON)
        assert "bearer" in response.headers.get("www-authenticate", "").lower(), case


async def test_rotation_keeps_issued_tokens_valid(app: Litestar, new_partner: NewPartner) -> None:
    partner = await new_partner()
    before = await partner.fetch_token()
    await rotate_signing_key(app.state.db, app.state.secret_store.ring)
    keys: TokenKeys = app.state.token_keys
    keys._loaded_at = 0.0  # as if the cache had aged: another process rotated
    after = await partner.fetch_token()
    assert _kid(before) != _kid(after)
    for token in (before, after):
        response = await partner.get("/partner/v1/tenants", token=token)
        assert response.status_code == 200, response.text


async def test_a_revoked_client_loses_its_tokens_at_once(new_partner: NewPartner) -> None:
    partner = await new_partner()
    made = await partner.post(
        "/partner/v1/clients", json={"name": "ci", "scopes": ["tenants:read"], "ratePerMinute": 5}
    )
    assert made.status_code == 400  # unknown field refused
    made = await partner.post("/partner/v1/clients", json={"name": "ci", "scopes": ["tenants:read"]})
    assert made.status_code == 201, made.text
    second = ApiPartner(partner.client, partner.partner_id, made.json()["id"], made.json()["clientSecret"])
    token = await second.fetch_token()
    assert (await second.get("/partner/v1/tenants")).status_code == 200
    listed = (await partner.get("/partner/v1/clients")).json()
    assert {c["name"] for c in listed["items"]} == {"default", "ci"}
    assert "clientSecret" not in str(listed)
    assert second.secret not in str(listed)

    revoked = await partner.delete(f"/partner/v1/clients/{second.client_id}")
    assert revoked.status_code == 204
    assert (await second.get("/partner/v1/tenants", token=token)).status_code == 401
    again = await second.token_response()
    assert again.status_code == 401
    # The last live client cannot be revoked (the partner would lock itself out).
    last = await partner.delete(f"/partner/v1/clients/{partner.client_id}")
    assert last.status_code == 409

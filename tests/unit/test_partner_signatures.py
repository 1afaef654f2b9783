"""The signature of outbound events (HMAC-SHA256 over "<timestamp>.<raw body>") and its checks."""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid

from spojka.partners.credentials import api_key_tenant, hash_secret, new_api_key, same_secret
from spojka.partners.events import SIGNATURE_TOLERANCE_SECONDS, sign, verify_signature

SECRET = "whsec_test"
BODY = b'{"id":"e1","type":"run.failed"}'


def test_signature_is_hmac_sha256_over_timestamp_and_raw_body() -> None:
    header = sign(SECRET, BODY, 1_700_000_000)
    expected = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"


def test_a_fresh_signature_verifies() -> None:
    now = int(time.time())
    assert verify_signature(SECRET, BODY, sign(SECRET, BODY, now))


def test_changed_body_wrong_secret_or_old_timestamp_are_refused() -> None:
    now = int(time.time())
    header = sign(SECRET, BODY, now)
    assert not verify_signature(SECRET, BODY + b" ", header)
    assert not verify_signature("whsec_other", BODY, header)
    old = now - SIGNATURE_TOLERANCE_SECONDS - 1
    assert not verify_signature(SECRET, BODY, sign(SECRET, BODY, old))
    # The timestamp is signed: moving it forward breaks the signature.
    assert not verify_signature(SECRET, BODY, header.replace(f"t={now}", f"t={now + 1}"))
    for garbage in ("", "t=x,v1=y", "v1=abc", f"t={now}"):
        assert not verify_signature(SECRET, BODY, garbage)


def test_api_keys_name_their_tenant_and_hash_compare() -> None:
    tenant = uuid.uuid4()
    key = new_api_key(tenant)
    assert api_key_tenant(key) == tenant
    assert api_key_tenant("spk_zz_" + key.rsplit("_", 1)[1]) is None
    assert api_key_tenant("Bearer-like-but-not-ours") is None
    assert same_secret(key, hash_secret(key))
    assert not same_secret(key + "x", hash_secret(key))

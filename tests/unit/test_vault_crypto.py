"""Sealing and opening envelopes, and parsing key rings, without a database."""

from __future__ import annotations

import base64
import re
import uuid

import pytest

from spojka.vault.crypto import (
    EnvelopeRejectedError,
    KeyRing,
    KeyRingError,
    MalformedEnvelopeError,
    UnknownKeyError,
    envelope_key_id,
    generate_key_entry,
    secret_aad,
    verifier_aad,
)

KEY_A = bytes(range(32))
KEY_B = bytes(range(100, 132))
TENANT, OTHER_TENANT = uuid.uuid4(), uuid.uuid4()
OWNER, OTHER_OWNER = uuid.uuid4(), uuid.uuid4()


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def ring(*entries: tuple[str, bytes]) -> KeyRing:
    return KeyRing.parse(",".join(f"{k}:{b64(v)}" for k, v in entries))


def tamper_ciphertext(envelope: str) -> str:
    head, key_id, nonce, body = envelope.split(".")
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[0] ^= 0x01
    return ".".join([head, key_id, nonce, base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()])


def test_round_trip_and_envelope_shape() -> None:
    keys = ring(("k1", KEY_A))
    aad = secret_aad(TENANT, OWNER, "api_token")
    for plaintext in ["s3cret-token", "", "žluťoučký kůň 🐎", "x" * 10_000]:
        envelope = keys.seal(plaintext, aad)
        assert re.fullmatch(r"v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+", envelope)
        assert keys.open(envelope, aad) == plaintext
        assert envelope_key_id(envelope) == "k1"


def test_every_seal_uses_a_fresh_nonce() -> None:
    keys = ring(("k1", KEY_A))
    aad = secret_aad(TENANT, OWNER, "f")
    envelopes = {keys.seal("same", aad) for _ in range(200)}
    nonces = {e.split(".")[2] for e in envelopes}
    assert len(envelopes) == len(nonces) == 200


def test_plaintext_does_not_show_in_envelope() -> None:
    keys = ring(("k1", KEY_A))
    envelope = keys.seal("SECRET-CANARY-123", secret_aad(TENANT, OWNER, "f"))
    assert "SECRET-CANARY" not in envelope
    assert "SECRET-CANARY" not in base64.urlsafe_b64decode(envelope.split(".")[3] + "==").decode("latin-1")


def test_tampered_ciphertext_fails() -> None:
    keys = ring(("k1", KEY_A))
    aad = secret_aad(TENANT, OWNER, "f")
    envelope = keys.seal("value", aad)
    with pytest.raises(EnvelopeRejectedError, match="does not open with key 'k1'"):
        keys.open(tamper_ciphertext(envelope), aad)


@pytest.mark.parametrize(
    "other_aad",
    [
        pytest.param(secret_aad(OTHER_TENANT, OWNER, "api_token"), id="other tenant"),
        pytest.param(secret_aad(TENANT, OTHER_OWNER, "api_token"), id="other connection"),
        pytest.param(secret_aad(TENANT, OWNER, "password"), id="other field"),
        pytest.param(verifier_aad("k1"), id="verifier"),
        pytest.param(b"", id="no aad"),
    ],
)
def test_wrong_associated_data_fails(other_aad: bytes) -> None:
    keys = ring(("k1", KEY_A))
    envelope = keys.seal("value", secret_aad(TENANT, OWNER, "api_token"))
    with pytest.raises(EnvelopeRejectedError):
        keys.open(envelope, other_aad)


def test_aad_accepts_uuid_text_in_any_case() -> None:
    assert secret_aad(TENANT, OWNER, "f") == secret_aad(str(TENANT).upper(), str(OWNER), "f")


def test_wrong_key_under_the_same_id_fails() -> None:
    aad = secret_aad(TENANT, OWNER, "f")
    envelope = ring(("k1", KEY_A)).seal("value", aad)
    with pytest.raises(EnvelopeRejectedError):
        ring(("k1", KEY_B)).open(envelope, aad)


def test_key_id_in_the_header_is_authenticated() -> None:
    # Same key bytes under two ids: relabelling the envelope still fails, the header is bound too.
    keys = ring(("k1", KEY_A), ("k2", KEY_A))
    aad = secret_aad(TENANT, OWNER, "f")
    envelope = keys.seal("value", aad)
    with pytest.raises(EnvelopeRejectedError):
        keys.open(envelope.replace("v1.k1.", "v1.k2.", 1), aad)


def test_older_keys_open_and_the_first_key_seals() -> None:
    aad = secret_aad(TENANT, OWNER, "f")
    old = ring(("k1", KEY_A)).seal("value", aad)
    keys = ring(("k2", KEY_B), ("k1", KEY_A))
    assert keys.active_id == "k2"
    assert keys.ids == ("k2", "k1")
    assert keys.open(old, aad) == "value"
    assert envelope_key_id(keys.seal("value", aad)) == "k2"
    assert envelope_key_id(keys.seal("value", aad, key_id="k1")) == "k1"


def test_unknown_key_fails() -> None:
    aad = secret_aad(TENANT, OWNER, "f")
    envelope = ring(("k1", KEY_A)).seal("value", aad)
    with pytest.raises(UnknownKeyError, match="'k1'"):
        ring(("k2", KEY_B)).open(envelope, aad)
    with pytest.raises(UnknownKeyError):
        ring(("k2", KEY_B)).seal("value", aad, key_id="k1")


@pytest.mark.parametrize(
    "envelope",
    [
        "",
        "plaintext",
        "v2.k1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA",
        "v1.k1.AAAA.AAAAAAAAAAAAAAAAAAAAAA",
        "v1.k1.AAAAAAAAAAAAAAAA.AAAA",
        "v1.k1.AAAAAAAAAAAAAAAA",
        "v1.k/1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA",
        "v1.k1.AAAAAAAAAAAA+AAA.AAAAAAAAAAAAAAAAAAAAAA",
    ],
)
def test_malformed_envelopes_are_refused(envelope: str) -> None:
    with pytest.raises(MalformedEnvelopeError):
        ring(("k1", KEY_A)).open(envelope, b"")


def test_parse_accepts_whitespace_urlsafe_and_unpadded_base64() -> None:
    urlsafe = base64.urlsafe_b64encode(KEY_B).decode().rstrip("=")
    keys = KeyRing.parse(f"  k1:{b64(KEY_A)} ,\n k_2-x:{urlsafe},")
    assert keys.ids == ("k1", "k_2-x")
    aad = b"x"
    assert ring(("k_2-x", KEY_B)).open(keys.seal("v", aad, key_id="k_2-x"), aad) == "v"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "contains no keys"),
        (" , ", "contains no keys"),
        (b64(KEY_A), "entry 1 is not of the form id:base64key"),
        (f"k1:{b64(KEY_A)},bad id:{b64(KEY_B)}", "entry 2 has an invalid key id"),
        (f":{b64(KEY_A)}", "entry 1 has an invalid key id"),
        (f"{'k' * 65}:{b64(KEY_A)}", "invalid key id"),
        (f"k1:{b64(KEY_A)},k1:{b64(KEY_B)}", "key 'k1' \\(entry 2\\) repeats a key id"),
        (f"k1:{b64(KEY_A[:16])}", "key 'k1' \\(entry 1\\) is 16 bytes long; keys must be 32"),
        (f"k1:{b64(KEY_A + b'x')}", "is 33 bytes long"),
        ("k1:not*base64!", "key 'k1' \\(entry 1\\) is not valid base64"),
        ("k1:", "is 0 bytes long"),
    ],
)
def test_parse_errors_are_clear(text: str, message: str) -> None:
    with pytest.raises(KeyRingError, match=message) as info:
        KeyRing.parse(text)
    assert str(info.value).startswith("SPOJKA_MASTER_KEYS")


def test_errors_and_repr_never_show_key_material() -> None:
    secret_b64 = b64(KEY_B)
    for text in [
        f"k1:{b64(KEY_A)},k1:{secret_b64}",
        f"k1:{secret_b64[:-8]}",
        f"{secret_b64}",
        f"{secret_b64}:k1",
        f"k1:{secret_b64}!",
    ]:
        with pytest.raises(KeyRingError) as info:
            KeyRing.parse(text)
        assert secret_b64[:-8] not in str(info.value)
        assert secret_b64[:20] not in str(info.value)
    keys = ring(("k1", KEY_A), ("k2", KEY_B))
    assert secret_b64 not in repr(keys)
    assert repr(keys) == "KeyRing(ids=['k1', 'k2'], active='k1', source='SPOJKA_MASTER_KEYS')"


def test_long_key_ids_that_may_be_keys_are_not_echoed() -> None:
    pasted = base64.urlsafe_b64encode(KEY_B).decode().rstrip("=")  # 43 characters, a valid id
    with pytest.raises(KeyRingError) as info:
        KeyRing.parse(f"{pasted}:k1")
    assert pasted not in str(info.value)
    assert "entry 1" in str(info.value)


def test_generated_entries_parse_and_differ() -> None:
    first, second = generate_key_entry(), generate_key_entry()
    assert first != second
    keys = KeyRing.parse(f"{first},{second}")
    assert re.fullmatch(r"k\d{8}-[0-9a-f]{6}", keys.active_id)
    named = KeyRing.parse(generate_key_entry("prod-2026"))
    assert named.ids == ("prod-2026",)
    with pytest.raises(KeyRingError, match="invalid key id"):
        generate_key_entry("no.dots")


def test_to_text_round_trips_and_with_active_without() -> None:
    keys = ring(("k1", KEY_A))
    bigger = keys.with_active("k2", KEY_B)
    assert bigger.ids == ("k2", "k1")
    again = KeyRing.parse(bigger.to_text())
    aad = b"a"
    assert again.open(bigger.seal("v", aad), aad) == "v"
    assert bigger.without("k1").ids == ("k2",)
    with pytest.raises(KeyRingError, match="active key"):
        bigger.without("k2")
    with pytest.raises(KeyRingError, match="repeats a key id"):
        keys.with_active("k1", KEY_B)

from __future__ import annotations

from spojka.accounts.passwords import _hasher, hash_password, password_problems, verify_password


def test_short_common_and_email_passwords_are_refused() -> None:
    assert password_problems("short1!") == ["Use at least 10 characters."]
    assert any("too common" in p for p in password_problems("1234567890"))
    assert any("too common" in p for p in password_problems("qwertyuiop"))
    assert any("too common" in p for p in password_problems("aaaaaaaaaaaa"))
    assert any("e-mail" in p for p in password_problems("jana.novakova-2026!", "jana.novakova@example.cz"))
    assert password_problems("correct horse battery staple", "jana@example.cz") == []


async def test_hash_is_argon2id_with_owasp_parameters() -> None:
    hashed = await hash_password("correct horse battery staple")
    assert hashed.startswith("$argon2id$")
    assert "m=19456,t=2,p=1" in hashed
    assert _hasher.memory_cost >= 19 * 1024
    assert await verify_password(hashed, "correct horse battery staple")
    assert not await verify_password(hashed, "wrong horse battery staple")
    assert not await verify_password(None, "anything at all")

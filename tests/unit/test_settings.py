"""Settings read from the environment: values are checked when the process starts, not later."""

from __future__ import annotations

import json

import pytest

from spojka.settings import SettingsError, load_settings


def test_add_on_registrations_are_read_per_connector() -> None:
    apps = {
        "shoptet": {
            "clientId": "spojka",
            "oauthServerUrl": "https://partner.myshoptet.com/action/ApiOAuthServer",
        }
    }
    settings = load_settings({"SPOJKA_CONNECTOR_APPS": json.dumps(apps)}, dotenv_path=None)
    assert settings.addon_apps == apps
    assert load_settings({}, dotenv_path=None).addon_apps == {}


@pytest.mark.parametrize("raw", ["{", "[]", '{"shoptet": "x"}', '{"shoptet": {"clientId": 1}}'])
def test_a_malformed_add_on_registration_refuses_to_start(raw: str) -> None:
    with pytest.raises(SettingsError, match="SPOJKA_CONNECTOR_APPS"):
        load_settings({"SPOJKA_CONNECTOR_APPS": raw}, dotenv_path=None)


def test_secrets_and_urls_with_passwords_are_not_in_the_settings_repr() -> None:
    secret = "very-secret-value"
    settings = load_settings(
        {
            "SPOJKA_CONNECTOR_APPS": json.dumps({"shoptet": {"clientSecret": secret}}),
            "SPOJKA_SMTP_PASSWORD": secret,
            "SPOJKA_SECRET_KEY": secret,
            "SPOJKA_MASTER_KEYS": f"k1:{secret}",
            "SPOJKA_DATABASE_URL": f"postgresql+asyncpg://spojka:{secret}@db/spojka",
            "SPOJKA_MIGRATION_DATABASE_URL": f"postgresql+asyncpg://owner:{secret}@db/spojka",
            "SPOJKA_REDIS_URL": f"redis://:{secret}@redis:6379/0",
        },
        dotenv_path=None,
    )
    assert secret not in repr(settings)
    assert "smtp_port=587" in repr(settings)

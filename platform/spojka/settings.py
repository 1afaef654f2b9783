"""Runtime settings, read from ``SPOJKA_*`` environment variables and a ``.env`` file.

Each field documents itself: the operators' configuration reference is generated from these
dataclass fields (their ``doc`` metadata), so the code and the reference cannot disagree.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args, get_type_hints

from dotenv import dotenv_values

ENV_PREFIX = "SPOJKA_"


def _doc(text: str, default: Any = None, **kwargs: Any) -> Any:
    return field(default=default, metadata={"doc": text}, **kwargs)


@dataclass(frozen=True, slots=True)
class Settings:
    """Every knob of a Spojka process. Environment variable = ``SPOJKA_`` + upper-cased field name."""

    env: Literal["development", "production"] = _doc(
        "`production` turns on JSON logs and secure cookies and refuses unsafe defaults.", "development"
    )
    host: str = _doc("Interface the API listens on.", "127.0.0.1")
    port: int = _doc("Port the API listens on.", 8000)
    public_url: str = _doc(
        "Address users and remote systems reach Spojka at (invite links, webhook URLs). "
        "Defaults to http://HOST:PORT.",
        "",
    )
    var_dir: str = _doc(
        "Folder for the embedded default: SQLite file, embedded Redis, key file, logs.", "var"
    )
    database_url: str = _doc(
        "SQLAlchemy URL the application connects with (on PostgreSQL: the runtime role, which "
        "row-level security applies to). Defaults to a SQLite file under VAR_DIR.",
        "",
        repr=False,
    )
    migration_database_url: str = _doc(
        "URL migrations and key maintenance run with (on PostgreSQL: the owner role). "
        "Defaults to DATABASE_URL.",
        "",
        repr=False,
    )
    redis_url: str = _doc(
        "Redis URL (redis://, rediss:// or unix://). Defaults to an embedded Redis server under VAR_DIR.",
        "",
        repr=False,
    )
    master_keys: str = _doc(
        "Key ring for sealed credentials: `id:base64key,...`, the first one active. Defaults to a "
        "key file under VAR_DIR, created on first run (development only).",
        "",
        repr=False,
    )
    secret_key: str = _doc(
        "Secret for CSRF tokens. Defaults to a random value kept under VAR_DIR (development only).",
        "",
        repr=False,
    )
    log_level: str = _doc("Log level: DEBUG, INFO, WARNING, ERROR.", "INFO")
    log_format: Literal["auto", "json", "console"] = _doc(
        "`json` (production default) or `console` (readable in a terminal).", "auto"
    )
    session_idle_minutes: int = _doc("A dashboard session ends after this many idle minutes.", 12 * 60)
    session_max_hours: int = _doc(
        "A dashboard session ends this many hours after login at the latest.", 7 * 24
    )
    max_body_bytes: int = _doc("Largest accepted request body; larger ones get 413.", 1_048_576)
    signup_limit_per_ip_hour: int = _doc("Signups allowed per client address per hour.", 20)
    login_limit_per_ip_15min: int = _doc("Login attempts allowed per client address per 15 minutes.", 50)
    login_limit_per_email_15min: int = _doc("Login attempts allowed per e-mail address per 15 minutes.", 10)
    connector_modules: str = _doc(
        "Extra connectors to load besides the installed plugins, as `module:attribute,...` "
        "(a merchant's own adaptation during development).",
        "",
    )
    job_timeout_seconds: int = _doc(
        "Longest a flow job may run; a worker that dies mid-run has its job taken over after this.", 300
    )
    max_runs_per_tenant: int = _doc("Flow runs of one tenant that may execute at the same time.", 3)
    max_run_attempts: int = _doc("Attempts of a run that keeps meeting temporary errors before it fails.", 5)
    smtp_host: str = _doc(
        "SMTP server for e-mails to merchants (failing flows); empty: e-mails are only logged.", ""
    )
    smtp_port: int = _doc("SMTP port.", 587)
    smtp_username: str = _doc("SMTP user name (empty: no login).", "")
    smtp_password: str = _doc("SMTP password.", "", repr=False)
    smtp_starttls: Literal["yes", "no"] = _doc("Upgrade the SMTP connection with STARTTLS.", "yes")
    mail_from: str = _doc("Sender of Spojka's e-mails.", "Spojka <noreply@spojka.cz>")
    alert_after_failures: int = _doc("Failed runs in a row of one flow before its owners are e-mailed.", 3)
    demo_shop_port: int = _doc("Port of the simulated Shoptet shop that `spojka demo` serves.", 8101)
    demo_books_port: int = _doc("Port of the simulated POHODA company that `spojka demo` serves.", 8102)
    demo_speed: float = _doc(
        "How busy the demo's customers and accountant are: 2 means twice as many orders a minute.", 1.0
    )
    connector_apps: str = _doc(
        "Spojka's add-on registrations at the remote systems, for installs from their add-on stores, "
        'as JSON by connector: `{"shoptet": {"clientId": "...", "clientSecret": "...", '
        '"oauthServerUrl": "https://PARTNER.myshoptet.com/action/ApiOAuthServer"}}`. The install '
        "address to register there is PUBLIC_URL/api/v1/installs/CONNECTOR.",
        "",
        repr=False,
    )
    trusted_proxies: str = _doc(
        "Comma-separated addresses of reverse proxies whose X-Forwarded-For is believed.", ""
    )

    def __post_init__(self) -> None:
        self.addon_apps  # noqa: B018 (refuse a malformed value at start, not at the first install)

    # -- derived values ------------------------------------------------------------------
    @property
    def addon_apps(self) -> dict[str, dict[str, str]]:
        """``connector_apps`` read: connector key → that add-on's values (strings)."""
        if not self.connector_apps.strip():
            return {}
        try:
            parsed = json.loads(self.connector_apps)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict) or not all(
            isinstance(values, dict) and all(isinstance(v, str) for v in values.values())
            for values in parsed.values()
        ):
            msg = f"{ENV_PREFIX}CONNECTOR_APPS must be a JSON object of objects of strings"
            raise SettingsError(msg)
        return {str(key): dict(values) for key, values in parsed.items()}

    @property
    def var_path(self) -> Path:
        return Path(self.var_dir).resolve()

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.var_path / 'spojka.db'}"

    @property
    def effective_migration_database_url(self) -> str:
        return self.migration_database_url or self.effective_database_url

    @property
    def uses_embedded_redis(self) -> bool:
        return not self.redis_url

    @property
    def effective_public_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def secure_cookies(self) -> bool:
        return self.effective_public_url.startswith("https://")

    @property
    def effective_log_format(self) -> str:
        if self.log_format != "auto":
            return self.log_format
        return "json" if self.is_production else "console"

    @property
    def trusted_proxy_set(self) -> frozenset[str]:
        return frozenset(p.strip() for p in self.trusted_proxies.split(",") if p.strip())


def _coerce(raw: str, annotation: Any, name: str) -> Any:
    if annotation is int:
        try:
            return int(raw)
        except ValueError:
            msg = f"{ENV_PREFIX}{name.upper()} must be a whole number, not {raw!r}"
            raise SettingsError(msg) from None
    if annotation is float:
        try:
            value = float(raw)
        except ValueError:
            value = float("nan")
        if not math.isfinite(value) or value <= 0:
            msg = f"{ENV_PREFIX}{name.upper()} must be a positive number, not {raw!r}"
            raise SettingsError(msg)
        return value
    choices = get_args(annotation)
    if choices and raw not in choices:
        msg = f"{ENV_PREFIX}{name.upper()} must be one of {', '.join(choices)}, not {raw!r}"
        raise SettingsError(msg)
    return raw


class SettingsError(ValueError):
    """A setting has a value Spojka cannot use."""


def load_settings(environ: dict[str, str] | None = None, dotenv_path: str | None = ".env") -> Settings:
    """Build settings from a ``.env`` file overlaid by the process environment."""
    values: dict[str, str] = {}
    if dotenv_path and Path(dotenv_path).is_file():
        values.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    hints = get_type_hints(Settings)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(Settings):
        raw = values.get(ENV_PREFIX + f.name.upper())
        if raw is not None:
            kwargs[f.name] = _coerce(raw, hints[f.name], f.name)
    return Settings(**kwargs)


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()


def settings_reference() -> list[tuple[str, str, str]]:
    """(variable, default, description) for every setting, for the operators' guide."""
    rows = []
    for f in dataclasses.fields(Settings):
        default = "" if f.default is dataclasses.MISSING else str(f.default)
        rows.append((ENV_PREFIX + f.name.upper(), default, str(f.metadata.get("doc", ""))))
    return rows


REFERENCE_START = "<!-- settings-reference:start -->"
REFERENCE_END = "<!-- settings-reference:end -->"


def settings_markdown() -> str:
    """The configuration reference as a Markdown table (docs/operators.md holds a copy between
    :data:`REFERENCE_START` and :data:`REFERENCE_END`; a test keeps the two equal)."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for name, default, doc in settings_reference():
        shown = f"`{default}`" if default else "(empty)"
        escaped = doc.replace("|", "\\|")
        lines.append(f"| `{name}` | {shown} | {escaped} |")
    return "\n".join(lines)

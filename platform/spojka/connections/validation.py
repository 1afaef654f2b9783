"""Settings and credentials checked against the connector's JSON Schemas."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from spojka.connector import ConnectorSpec
from spojka.connector.spec import secret_fields
from spojka.http.problems import Invalid


def _errors(schema: dict[str, Any], document: Any) -> list[dict[str, str]]:
    try:
        validator = Draft202012Validator(schema)
    except SchemaError:
        return [{"path": "", "message": "the connector's schema is broken; report this to its author"}]
    found = []
    for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
        path = "/" + "/".join(str(p) for p in error.absolute_path)
        found.append({"path": path, "message": error.message})
    return found


def validate_settings(spec: ConnectorSpec, settings: Mapping[str, Any]) -> None:
    errors = _errors(spec.settings_schema, settings)
    if errors:
        raise Invalid(f"The settings do not fit {spec.title}.", extra={"errors": _prefix("settings", errors)})


def only_credentials(spec: ConnectorSpec, sealed: Mapping[str, str]) -> dict[str, str]:
    """The connector's credentials among a connection's sealed values (the vault also keeps the
    connection's webhook token and the connector's own state there)."""
    fields = set(secret_fields(spec))
    return {name: value for name, value in sealed.items() if name in fields}


def validate_credentials(spec: ConnectorSpec, credentials: Mapping[str, Any]) -> None:
    """Validate the complete set of credentials; messages never echo the values."""
    properties = spec.credentials_schema.get("properties", {})
    unknown = sorted(set(credentials) - set(properties))
    errors = [{"path": f"/credentials/{k}", "message": "not a credential of this connector"} for k in unknown]
    for field in spec.credentials_schema.get("required", []):
        if not credentials.get(field):
            errors.append({"path": f"/credentials/{field}", "message": "required"})
    for field, value in credentials.items():
        if field in properties:
            for err in _errors(properties[field], value):
                errors.append({"path": f"/credentials/{field}", "message": _redact(err["message"], value)})
    if errors:
        raise Invalid(f"The credentials do not fit {spec.title}.", extra={"errors": errors})


def _prefix(root: str, errors: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{"path": f"/{root}{e['path']}".rstrip("/"), "message": e["message"]} for e in errors]


def _redact(message: str, value: Any) -> str:
    return message.replace(repr(value), "the value").replace(str(value), "the value") if value else message

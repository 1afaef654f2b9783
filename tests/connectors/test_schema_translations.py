"""Every registered connector's settings and credentials schemas carry Czech texts for the dashboard.

The dashboard draws a connection's forms from these JSON Schemas and, in the Czech UI, shows
``x-translations.cs.title`` / ``.description`` instead of the English ``title`` / ``description``.
Every schema node with an English text must have its Czech counterpart: the same keys, non-empty, and
not just the English text copied over.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from spojka.connector import ConnectorSpec
from spojka.connector.registry import Registry

TRANSLATIONS = "x-translations"
LANGUAGE = "cs"
TEXT_KEYS = ("title", "description")
#: Texts that read the same in Czech and English (proper names); anything else copied is a miss.
SAME_IN_CZECH: frozenset[str] = frozenset({"Shoptet", "POHODA", "mServer", "IČO", "API", "OAuth"})

# JSON Schema 2020-12 keywords whose value is a schema, a list of schemas or a map of schemas.
_SCHEMA_KEYWORDS = frozenset(
    {
        "items",
        "additionalItems",
        "additionalProperties",
        "unevaluatedItems",
        "unevaluatedProperties",
        "propertyNames",
        "contains",
        "not",
        "if",
        "then",
        "else",
    }
)
_SCHEMA_LIST_KEYWORDS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SCHEMA_MAP_KEYWORDS = frozenset(
    {"properties", "patternProperties", "dependentSchemas", "$defs", "definitions"}
)
_LETTER = re.compile(r"[^\W\d_]")


def schema_nodes(schema: Any, path: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (sub)schema, with a JSON-pointer-like path; values of ``default``, ``examples``,
    ``enum`` etc. are data, not schemas, and are not entered."""
    if not isinstance(schema, dict):
        return
    yield path, schema
    for keyword, value in schema.items():
        if keyword in _SCHEMA_KEYWORDS:
            yield from schema_nodes(value, f"{path}/{keyword}")
        elif keyword in _SCHEMA_LIST_KEYWORDS and isinstance(value, list):
            for index, item in enumerate(value):
                yield from schema_nodes(item, f"{path}/{keyword}/{index}")
        elif keyword in _SCHEMA_MAP_KEYWORDS and isinstance(value, dict):
            for name, item in value.items():
                yield from schema_nodes(item, f"{path}/{keyword}/{name}")


def _copied(english: str, czech: str) -> bool:
    same = " ".join(english.split()).casefold() == " ".join(czech.split()).casefold()
    return same and _LETTER.search(english) is not None and english not in SAME_IN_CZECH


def translation_problems(schema: dict[str, Any]) -> list[str]:
    """What is missing or wrong in the schema's Czech texts; empty when all is well."""
    problems: list[str] = []
    for path, node in schema_nodes(schema):
        english = {key: node[key] for key in TEXT_KEYS if isinstance(node.get(key), str)}
        translations = node.get(TRANSLATIONS)
        if not english and translations is None:
            continue
        if not isinstance(translations, dict) or not isinstance(translations.get(LANGUAGE), dict):
            problems.append(f"{path}: no {TRANSLATIONS}.{LANGUAGE} for {sorted(english)}")
            continue
        czech = translations[LANGUAGE]
        if set(czech) != set(english):
            problems.append(
                f"{path}: {TRANSLATIONS}.{LANGUAGE} has {sorted(czech)}, the English has {sorted(english)}"
            )
        for key in sorted(set(czech) & set(english)):
            text = czech[key]
            if not isinstance(text, str) or not text.strip():
                problems.append(f"{path}: the Czech {key} is empty")
            elif _copied(english[key], text):
                problems.append(f"{path}: the Czech {key} is the English text {text!r}")
    return problems


def _schemas() -> list[Any]:
    registry = Registry.from_entry_points()
    params = []
    for entry in registry:
        spec = entry.spec
        if spec is None:  # a broken plugin: test_every_connector_has_a_contract reports why
            continue
        for name, schema in (("settings", spec.settings_schema), ("credentials", spec.credentials_schema)):
            params.append(pytest.param(schema, id=f"{entry.key}-{name}"))
    return params


SCHEMAS = _schemas()


def test_connectors_are_registered() -> None:
    registry = Registry.from_entry_points()
    assert {entry.key for entry in registry if entry.available} >= {"shoptet", "pohoda"}
    assert SCHEMAS


@pytest.mark.parametrize(
    "spec", [pytest.param(e.spec, id=e.key) for e in Registry.from_entry_points() if e.spec is not None]
)
def test_the_connectors_description_has_a_czech_translation(spec: ConnectorSpec) -> None:
    if not spec.description:
        return
    czech = spec.translations.get(LANGUAGE, {}).get("description", "")
    assert czech.strip(), f"{spec.key}: no translations.{LANGUAGE}.description"
    assert not _copied(spec.description, czech), f"{spec.key}: the Czech description is the English text"


@pytest.mark.parametrize("schema", SCHEMAS)
def test_every_text_has_a_czech_translation(schema: dict[str, Any]) -> None:
    assert translation_problems(schema) == []
    # The schema root is the form's heading: it must be translated, not merely have nothing to translate.
    assert schema.get(TRANSLATIONS, {}).get(LANGUAGE, {}).get("title")


@pytest.mark.parametrize("schema", SCHEMAS)
def test_schema_is_still_valid_json_schema_2020_12(schema: dict[str, Any]) -> None:
    Draft202012Validator.check_schema(schema)


# -- the check itself catches what it should ------------------------------------------------------
def _translated_nodes(schema: dict[str, Any]) -> list[str]:
    return [path for path, node in schema_nodes(schema) if TRANSLATIONS in node]


@pytest.mark.parametrize("schema", SCHEMAS)
def test_a_removed_translation_is_caught(schema: dict[str, Any]) -> None:
    for path in _translated_nodes(schema):
        broken = copy.deepcopy(schema)
        node = dict(schema_nodes(broken))[path]
        del node[TRANSLATIONS]
        assert any(p.startswith(f"{path}:") for p in translation_problems(broken)), path


@pytest.mark.parametrize("schema", SCHEMAS)
def test_a_missing_or_copied_key_is_caught(schema: dict[str, Any]) -> None:
    for path in _translated_nodes(schema):
        for key in TEXT_KEYS:
            broken = copy.deepcopy(schema)
            node = dict(schema_nodes(broken))[path]
            czech = node[TRANSLATIONS][LANGUAGE]
            if key not in czech:
                continue
            czech[key] = node[key]
            assert translation_problems(broken), f"{path}: a copied English {key} passed"
            czech[key] = " "
            assert translation_problems(broken), f"{path}: an empty Czech {key} passed"
            del czech[key]
            assert translation_problems(broken), f"{path}: a missing Czech {key} passed"


def test_nested_subschemas_and_exceptions() -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "codes": {
                "type": "object",
                "additionalProperties": {"type": "string", "title": "Code"},
                TRANSLATIONS: {LANGUAGE: {}},
            },
            "list": {"type": "array", "items": {"description": "An item"}},
            "brand": {"title": "Shoptet", TRANSLATIONS: {LANGUAGE: {"title": "Shoptet"}}},
            "number": {"title": "1 / 2", TRANSLATIONS: {LANGUAGE: {"title": "1 / 2"}}},
            # A default value is data: its "title" key is not a schema text.
            "data": {"default": {"title": "not a schema"}},
        },
    }
    problems = translation_problems(schema)
    assert [p.split(":")[0] for p in problems] == [
        "#/properties/codes/additionalProperties",
        "#/properties/list/items",
    ], problems

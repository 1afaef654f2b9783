"""The guides say what the code does: generated parts of docs/ match their source."""

from __future__ import annotations

from pathlib import Path

from spojka.settings import REFERENCE_END, REFERENCE_START, settings_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_operators_configuration_reference_is_current() -> None:
    text = (DOCS / "operators.md").read_text(encoding="utf-8")
    start, end = text.index(REFERENCE_START), text.index(REFERENCE_END)
    written = text[start + len(REFERENCE_START) : end].strip()
    assert written == settings_markdown(), (
        "docs/operators.md is out of date: replace its settings reference with `spojka settings`"
    )

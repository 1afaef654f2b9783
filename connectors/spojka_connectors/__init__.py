"""Spojka's built-in connectors. Each registers through the ``spojka.connectors`` entry points."""

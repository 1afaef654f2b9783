"""POHODA accounting connector. The ``spojka.connectors`` entry point names :data:`connector`."""

from spojka_connectors.pohoda.connector import PohodaConnector
from spojka_connectors.pohoda.spec import SPEC

connector = PohodaConnector()

__all__ = ("SPEC", "PohodaConnector", "connector")

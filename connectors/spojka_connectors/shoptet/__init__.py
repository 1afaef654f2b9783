"""Shoptet e-shop connector. The ``spojka.connectors`` entry point names :data:`connector`."""

from spojka_connectors.shoptet.connector import ShoptetConnector
from spojka_connectors.shoptet.session import ShoptetSession
from spojka_connectors.shoptet.spec import SPEC

connector = ShoptetConnector()

__all__ = ("SPEC", "ShoptetConnector", "ShoptetSession", "connector")

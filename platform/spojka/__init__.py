"""Spojka: links e-shops with accounting systems."""

__version__ = "0.1.0"

"""The audit log: every change to connections, links, members and keys, with its actor."""

from spojka.audit.routes import ROUTES

__all__ = ("ROUTES",)

"""Connections: a tenant's configured instances of connectors, and the connector registry's API."""

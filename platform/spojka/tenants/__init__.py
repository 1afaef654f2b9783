"""tenants bounded context."""

"""sync bounded context."""

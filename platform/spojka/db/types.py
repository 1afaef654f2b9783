"""Column types shared by several models."""

from sqlalchemy import JSON
from sqlalchemy.dialects.postgresql import JSONB

#: JSON document column: JSONB on PostgreSQL, JSON text elsewhere.
JSONDoc = JSON().with_variant(JSONB(), "postgresql")

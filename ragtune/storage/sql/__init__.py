"""SQL storage: DuckDB files (one process) and PostgreSQL (many workers) on one schema."""

from __future__ import annotations

from ragtune.storage.sql.schema import SCHEMA_VERSION
from ragtune.storage.sql.storage import SQLStorage

__all__ = ["SCHEMA_VERSION", "SQLStorage"]

"""Storage backends: in-memory, DuckDB (default on disk) and PostgreSQL (many workers)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ragtune.exceptions import StorageURLError
from ragtune.storage.base import Storage, StudySummary, TrialsDelta
from ragtune.storage.in_memory import InMemoryStorage
from ragtune.storage.urls import SUPPORTED, mask_url, url_scheme

if TYPE_CHECKING:
    from ragtune.storage.sql import SQLStorage

__all__ = [
    "InMemoryStorage",
    "SQLStorage",
    "Storage",
    "StudySummary",
    "TrialsDelta",
    "get_storage",
    "mask_url",
]


def get_storage(storage: Storage | str | None, **kwargs: Any) -> Storage:
    """Turn ``None`` / ``"memory"`` / a URL / a Storage into a Storage."""
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, Storage):
        return storage
    if not isinstance(storage, str):
        raise StorageURLError(f"storage must be a URL string or a Storage, but got {type(storage).__name__}")
    if storage.strip().lower() in ("memory", ":memory:", "inmemory", "in-memory"):
        return InMemoryStorage()
    scheme = url_scheme(storage)
    if scheme in ("duckdb", "postgresql", "postgres"):
        from ragtune.storage.sql import SQLStorage

        backend: Storage = SQLStorage(storage, **kwargs)
        return backend
    raise StorageURLError(f"unknown storage URL scheme {scheme!r} in {mask_url(storage)!r}; use {SUPPORTED}")


def __getattr__(name: str) -> Any:
    if name == "SQLStorage":
        from ragtune.storage.sql import SQLStorage

        return SQLStorage
    raise AttributeError(f"module 'ragtune.storage' has no attribute {name!r}")

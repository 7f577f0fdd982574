"""Storage URL parsing and password masking."""

from __future__ import annotations

import re

from ragtune.exceptions import StorageURLError

_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s]*):(?P<pw>[^@\s]*)@")
_QUERY_PASSWORD = re.compile(r"(?i)(password=)[^&\s]*")

SUPPORTED = "duckdb:///path/to/file.duckdb, postgresql+psycopg://user:password@host:5432/db, or memory"


def mask_url(text: str) -> str:
    """Replace any password in URLs inside ``text`` with ``***``."""
    text = _PASSWORD.sub(lambda m: f"{m.group('head')}:***@", text)
    return _QUERY_PASSWORD.sub(r"\1***", text)


def url_scheme(url: str) -> str:
    """The dialect part of a URL ("duckdb", "postgresql", ...), lower-cased."""
    if "://" not in url:
        raise StorageURLError(f"storage URL {mask_url(url)!r} has no scheme; use {SUPPORTED}")
    scheme = url.split("://", 1)[0].lower()
    return scheme.split("+", 1)[0]

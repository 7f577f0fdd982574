"""Fixtures shared by every test folder: a PostgreSQL server when one is configured."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

_PG_ENV = "RAGTUNE_TEST_POSTGRES_URL"


def _with_schema(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """``RAGTUNE_TEST_POSTGRES_URL`` (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test), as given."""
    url = os.environ.get(_PG_ENV, "")
    if not url:
        pytest.skip(f"PostgreSQL tests need a server: set {_PG_ENV}=postgresql+psycopg://user@host:5432/db")
    return url


@contextmanager
def _fresh_schema(server_url: str, prefix: str) -> Iterator[str]:
    import sqlalchemy as sa

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(server_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _with_schema(server_url, schema)
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture(scope="session")
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A URL whose connections use a schema of this pytest session's own (dropped at its end).

    The server is shared by other test runs (other checkouts, CI): a session schema keeps one run's
    tables and schema version away from another's. Tests still give their studies unique names, or use
    :func:`postgres_schema_url` for an empty schema of their own.
    """
    with _fresh_schema(postgres_server_url, "ragtune_session") as url:
        yield url


@pytest.fixture()
def postgres_schema_url(postgres_server_url: str) -> Iterator[str]:
    """A URL whose connections use a fresh, empty schema (dropped after the test)."""
    with _fresh_schema(postgres_server_url, "ragtune_test") as url:
        yield url

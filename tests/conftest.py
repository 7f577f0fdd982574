"""Fixtures shared by every test folder: a PostgreSQL server when one is configured."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

_PG_ENV = "RAGTUNE_TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """``RAGTUNE_TEST_POSTGRES_URL`` (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test).

    The server is shared: tests give their studies unique names, or use :func:`postgres_schema_url`.
    """
    url = os.environ.get(_PG_ENV, "")
    if not url:
        pytest.skip(f"PostgreSQL tests need a server: set {_PG_ENV}=postgresql+psycopg://user@host:5432/db")
    return url


@pytest.fixture()
def postgres_schema_url(postgres_url: str) -> Iterator[str]:
    """A URL whose connections use a fresh, empty schema (dropped after the test)."""
    import sqlalchemy as sa

    schema = f"ragtune_test_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in postgres_url else "?"
    try:
        yield f"{postgres_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()

"""Opening SQL engines from storage URLs, and turning driver errors into one-line ragtune errors."""

from __future__ import annotations

import importlib
import os
import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ragtune.exceptions import (
    MissingDependencyError,
    StorageConnectionError,
    StorageError,
    StorageLockedError,
    StorageURLError,
)
from ragtune.storage.urls import SUPPORTED, mask_url, url_scheme

_PG_DRIVERS = ("postgresql", "postgres", "postgresql+psycopg", "postgres+psycopg")


@dataclass(frozen=True, slots=True)
class Target:
    """Where a storage URL points: the backend, the SQLAlchemy URL and a printable location."""

    backend: str  # "duckdb" or "postgresql"
    url: sa.URL
    where: str  # masked, for messages
    path: str | None = None  # DuckDB file, absolute; None for PostgreSQL and ":memory:"


def parse_target(url: str) -> Target:
    scheme = url_scheme(url)
    masked = mask_url(url)
    try:
        parsed = sa.make_url(url)
        _ = parsed.port  # a non-numeric port fails here or in make_url, as ValueError
    except (sa.exc.ArgumentError, ValueError):
        # from None: the parser's own message repeats the URL, password included.
        raise StorageURLError(f"cannot parse storage URL {masked!r}; use {SUPPORTED}") from None
    if scheme == "duckdb":
        database = parsed.database or ""
        if database in ("", ":memory:"):
            return Target("duckdb", parsed.set(database=":memory:"), "DuckDB in memory")
        path = os.path.realpath(os.path.expanduser(database))
        return Target("duckdb", parsed.set(database=path), f"DuckDB file {path}", path)
    driver = url.split("://", 1)[0].lower()
    if driver not in _PG_DRIVERS:
        raise StorageURLError(
            f"storage URL {masked!r} names the driver {driver!r}; ragtune talks to PostgreSQL through "
            "psycopg 3: use postgresql+psycopg://user:password@host:5432/db"
        )
    parsed = parsed.set(drivername="postgresql+psycopg")
    host = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    return Target("postgresql", parsed, f"PostgreSQL at {host} (database {parsed.database!r})")


def require_psycopg() -> None:
    try:
        importlib.import_module("psycopg")
    except ImportError as e:
        raise MissingDependencyError(
            f"PostgreSQL storage needs psycopg 3 ({e}); install it with: pip install 'ragtune[postgres]'"
        ) from None


def create_engine(target: Target, engine_kwargs: dict[str, Any] | None) -> sa.Engine:
    kwargs: dict[str, Any] = dict(engine_kwargs or {})
    if target.backend == "postgresql":
        require_psycopg()
        kwargs.setdefault("pool_size", 4)
        # Connections the server dropped (restart, idle timeout, pg_terminate_backend) are replaced
        # transparently instead of failing the next storage call.
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("max_overflow", 16)
        # Every write waits for the server's WAL flush (PostgreSQL's default), as Optuna's storage
        # does: what a call returned from survives a server crash. A URL may opt out with
        # ?options=-c%20synchronous_commit%3Doff; finishing a trial and study changes still wait.
    else:
        # One connection shared by all threads of the process; the storage serialises its use.
        kwargs.setdefault("poolclass", sa.pool.StaticPool)

    return sa.create_engine(target.url, **kwargs)


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return mask_url(text.splitlines()[0] if text else type(error).__name__)


_PG_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r'database "(?P<x>[^"]+)" does not exist'),
        'PostgreSQL database "{x}" does not exist at {host}; create it (createdb {x}) or fix the '
        "database name in the storage URL",
    ),
    (
        re.compile(r'role "(?P<x>[^"]+)" does not exist'),
        'PostgreSQL role "{x}" does not exist at {host}; create it (createuser {x}) or fix the user '
        "in the storage URL",
    ),
    (
        re.compile(r'password authentication failed for user "(?P<x>[^"]+)"'),
        'PostgreSQL rejected the password for user "{x}" at {host}; fix the password in the storage URL',
    ),
    (
        re.compile(r"no password supplied|fe_sendauth"),
        "PostgreSQL at {host} asks for a password; add it to the storage URL "
        "(postgresql+psycopg://user:password@host/db)",
    ),
    (
        re.compile(
            r"Connection refused|could not translate host name|failed to resolve host|timeout expired|"
            r"No route to host|Network is unreachable|Name or service not known"
        ),
        "cannot reach PostgreSQL at {host} ({why}); start the server or fix host and port in the storage URL",
    ),
)


def connection_error(error: BaseException, target: Target) -> StorageError:
    """A one-line error for a failure to connect, with the fix; never shows the password."""
    line = _first_line(error)
    if target.backend == "duckdb":
        return duckdb_open_error(error, target)
    host = f"{target.url.host or 'localhost'}:{target.url.port or 5432}"
    why = line.rsplit(":", 1)[-1].strip() or line  # already masked
    for pattern, template in _PG_RULES:
        m = pattern.search(str(getattr(error, "orig", None) or error))
        if m is not None:
            found = {k: mask_url(v) for k, v in m.groupdict().items()}
            return StorageConnectionError(template.format(host=host, why=why, **found))
    return StorageConnectionError(f"cannot connect to PostgreSQL at {host}: {line}")


_LOCK_PID = re.compile(r"\(PID (?P<pid>\d+)\)")


def duckdb_open_error(error: BaseException, target: Target) -> StorageError:
    text = str(getattr(error, "orig", None) or error)
    path = target.path or ":memory:"
    if "Could not set lock" in text or "Conflicting lock" in text:
        m = _LOCK_PID.search(text)
        pid = f" (PID {m.group('pid')})" if m is not None else ""
        return StorageLockedError(
            f"DuckDB file {path} is open in another process{pid}; DuckDB allows one writer process — "
            "use PostgreSQL (postgresql+psycopg://...) for several processes, or wait for the other "
            "process to finish"
        )
    if "No such file or directory" in text:
        folder = os.path.dirname(path)
        return StorageError(f"cannot open DuckDB file {path}: the folder {folder} does not exist; create it")
    if "not a valid DuckDB database file" in text:
        return StorageError(
            f"{path} is not a DuckDB database file; point the storage URL at a .duckdb file or a new path"
        )
    return StorageError(f"cannot open DuckDB file {path}: {_first_line(error)}")


def operation_error(error: BaseException, target: Target) -> StorageError:
    """Translate an error raised while using an open storage."""
    line = _first_line(error)
    if target.backend == "postgresql" and isinstance(error, sa.exc.OperationalError):
        return StorageConnectionError(
            f"lost the connection to {target.where}: {line}; check the server and run again"
        )
    return StorageError(f"{target.where} failed: {line}")

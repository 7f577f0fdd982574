"""Schema creation, the version check on open, and the list of upgrades between versions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from ragtune.exceptions import StorageError
from ragtune.storage.sql import schema as S

# Any constant works; it only has to differ from advisory locks other applications take.
_PG_LOCK_KEY = 0x7261_6774_756E_65  # "ragtune"


@dataclass(frozen=True, slots=True)
class Migration:
    """Moves a database from ``version - 1`` to ``version``."""

    version: int
    description: str
    apply: Callable[[sa.Connection], None]


def _create_v1(conn: sa.Connection) -> None:
    S.metadata.create_all(conn, checkfirst=True)


#: Every step from an empty database to :data:`~ragtune.storage.sql.schema.SCHEMA_VERSION`.
MIGRATIONS: tuple[Migration, ...] = (Migration(1, "initial schema", _create_v1),)


def _library_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"ragtune {version('ragtune')}"
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "ragtune"


def read_version(conn: sa.Connection) -> int | None:
    """The stored schema version, or ``None`` for a database without ragtune tables."""
    if not sa.inspect(conn).has_table(S.schema_version.name):
        return None
    found = conn.execute(sa.select(sa.func.max(S.schema_version.c.version))).scalar()
    return None if found is None else int(found)


def upgrade(
    conn: sa.Connection,
    *,
    where: str,
    migrations: Sequence[Migration] = MIGRATIONS,
    target: int = S.SCHEMA_VERSION,
) -> int:
    """Bring the schema on ``conn`` to ``target``; return the version found before.

    Raises :class:`StorageError` when the database was written by a newer ragtune.
    """
    found = read_version(conn)
    current = 0 if found is None else found
    if current > target:
        raise StorageError(
            f"the storage at {where} has schema version {current}, but this ragtune reads versions up "
            f"to {target}; upgrade ragtune (pip install -U ragtune) or use another storage"
        )
    for step in migrations:
        if current < step.version <= target:
            step.apply(conn)
            conn.execute(
                S.schema_version.insert().values(
                    version=step.version, library=_library_version(), upgraded_at=dt.datetime.now()
                )
            )
            current = step.version
    return 0 if found is None else found


def ensure_schema(engine: sa.Engine, *, where: str) -> None:
    """Create or upgrade the schema, safely when many workers open the same database at once."""
    with engine.connect() as conn:
        if read_version(conn) == S.SCHEMA_VERSION:
            return
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Held until commit: the other workers wait here, then find the schema in place.
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_LOCK_KEY)))
        upgrade(conn, where=where)

"""Fast writes to a DuckDB file: plain parameterised SQL built from the shared Core tables.

SQLAlchemy's duckdb dialect compiles every statement anew (no statement cache), which costs more
than DuckDB's own work for a small insert; the hot path therefore sends cached SQL strings straight
to the driver, inside one explicit transaction per finished trial.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from ragtune.storage.sql.connect import Target, create_engine, duckdb_open_error

_UNNEST_FROM = 4  # rows from which an INSERT binds one list per column


class DuckDBFile:
    """One open DuckDB database: an engine, its single driver connection, and the lock around both."""

    def __init__(self, target: Target, engine_kwargs: dict[str, Any] | None) -> None:
        self.target = target
        self.engine = create_engine(target, engine_kwargs)
        try:
            self._fairy = self.engine.raw_connection()
        except Exception as e:  # raw duckdb errors too: the pool does not wrap them at connect
            self.engine.dispose()
            raise duckdb_open_error(e, target) from e
        raw = self._fairy.driver_connection
        assert raw is not None  # a checked-out connection always has its driver connection
        self.raw: Any = raw
        if "threads" not in target.url.query:
            # The storage sends small statements one at a time: DuckDB's worker threads only add
            # hand-offs (a third of the CPU per finished trial). SET, not a connect-time setting,
            # so other connections to the file in this process (duckdb.connect) still open.
            self.raw.execute("SET threads = 1")
        self.lock = threading.RLock()
        self._quote = self.engine.dialect.identifier_preparer.quote
        self._inserts: dict[tuple[str, int], tuple[str, tuple[str, ...]]] = {}

    def _insert_sql(self, table: sa.Table, n_rows: int) -> tuple[str, tuple[str, ...]]:
        """``VALUES (?, ...), ...`` for a few rows; one list per column (unnest) for many.

        DuckDB binds each parameter separately: past a few rows, five lists cost less than fifty values.
        """
        key = (table.name, n_rows if n_rows < _UNNEST_FROM else _UNNEST_FROM)
        found = self._inserts.get(key)
        if found is None:
            cols = tuple(c.name for c in table.columns)
            head = f"INSERT INTO {self._quote(table.name)} ({', '.join(self._quote(c) for c in cols)}) "
            if n_rows < _UNNEST_FROM:
                one = "(" + ", ".join("?" for _ in cols) + ")"
                sql = head + f"VALUES {', '.join([one] * n_rows)}"
            else:
                types = [c.type.compile(dialect=self.engine.dialect) for c in table.columns]
                sql = head + "SELECT " + ", ".join(f"unnest(?::{t}[])" for t in types)
            found = self._inserts[key] = (sql, cols)
        return found

    def insert(self, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        sql, cols = self._insert_sql(table, len(rows))
        if len(rows) < _UNNEST_FROM:
            self.raw.execute(sql, [row.get(c) for row in rows for c in cols])
        else:
            self.raw.execute(sql, [[row.get(c) for row in rows] for c in cols])

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.raw.execute(sql, list(params))

    def delete_where_trial(self, table: sa.Table, trial_id: int, *, step: int | None = None) -> None:
        sql = f"DELETE FROM {self._quote(table.name)} WHERE trial_id = ?"
        if step is None:
            self.raw.execute(sql, [trial_id])
        else:
            self.raw.execute(sql + " AND step = ?", [trial_id, step])

    def update_trial(self, trial_id: int, values: dict[str, Any]) -> None:
        sets = ", ".join(f"{self._quote(k)} = ?" for k in values)
        self.raw.execute(f"UPDATE trials SET {sets} WHERE trial_id = ?", [*values.values(), trial_id])

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.raw.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.raw.execute("ROLLBACK")
            raise
        self.raw.execute("COMMIT")

    def close(self) -> None:
        self._fairy.close()
        self.engine.dispose()

"""A DuckDB file: its connection with fast writes, the journal of running trials next to it, and
the load of a whole study.

SQLAlchemy's duckdb dialect compiles every statement anew (no statement cache), which costs more
than DuckDB's own work for a small insert; writes therefore send cached SQL strings straight to
the driver. A study is read once per process, when it is first used: one query per table, DuckDB
grouping the vectors (values and constraints per trial, reports per step) into lists, attribute
JSON parsed in one call, params as numpy columns decoded a define-by-run path at a time.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from ragtune.storage.records import distribution, dumps, no_gc
from ragtune.storage.sql import schema as S
from ragtune.storage.sql.connect import Target, create_engine, duckdb_open_error
from ragtune.storage.sql.reads import Records, fill_params, record_from_row

_UNNEST_FROM = 4  # rows from which an INSERT binds one list per column
#: The journal's file name: the DuckDB file's name with this added.
JOURNAL_SUFFIX = ".journal"


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

    def delete_where_trial(self, table: sa.Table, trial_id: int, **equal: Any) -> None:
        """Delete the trial's rows of ``table`` (only those whose columns equal ``equal``)."""
        where = " AND ".join(f"{self._quote(c)} = ?" for c in ("trial_id", *equal))
        self.raw.execute(f"DELETE FROM {self._quote(table.name)} WHERE {where}", [trial_id, *equal.values()])

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


class Journal:
    """An append-only file of a DuckDB file's running-trial writes (params, attrs, constraints).

    A DuckDB commit costs a statement and an fsync; a trial suggests many params. Each such write is
    appended here (one ``os.write``: in the operating system's hands when the call returns, so a killed
    process loses nothing) and reaches the DuckDB file with the trial's next report or its finish, in
    one transaction. The next process to open the file replays what a dead one left (see
    :meth:`DuckDBStore._replay`). The file is emptied whenever no trial has entries in it.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        self._empty = os.fstat(self._fd).st_size == 0

    def add(self, entry: list[Any]) -> None:
        os.write(self._fd, (json.dumps(entry, separators=(",", ":")) + "\n").encode())
        self._empty = False

    def read(self) -> list[list[Any]]:
        """Every complete entry, oldest first (a line cut short by a crash is left out)."""
        if self._empty:
            return []
        with open(self.path, "rb") as f:
            data = f.read()
        entries = []
        for line in data.split(b"\n")[:-1]:  # the last piece is empty, or a line cut short
            try:
                entries.append(json.loads(line))
            except ValueError:
                continue
        return entries

    def clear(self) -> None:
        if not self._empty:
            os.ftruncate(self._fd, 0)
            self._empty = True

    def close(self) -> None:
        os.close(self._fd)


def replay(db: DuckDBFile, entries: list[list[Any]]) -> None:
    """Write what a journal holds into the file, in one transaction: rows of trials it created,
    claims, and the params, attrs and constraints of trials the file does not hold as finished."""
    if not entries:
        return
    with db.transaction():
        known = {int(r[0]) for r in db.execute("SELECT study_id FROM studies").fetchall()}
        for kind, tid, *rest in entries:
            if kind == "t" and int(rest[0]) in known:
                found = db.execute("SELECT 1 FROM trials WHERE trial_id = ?", [tid]).fetchone()
                if found is None:
                    sid, number, start = rest
                    db.insert(
                        S.trials,
                        [
                            {
                                "trial_id": tid,
                                "study_id": sid,
                                "number": number,
                                "state": "RUNNING",
                                "datetime_start": _when(start),
                            }
                        ],
                    )
        ids = sorted({int(e[1]) for e in entries})
        marks = ", ".join("?" for _ in ids)
        open_ids = {
            int(r[0])
            for r in db.execute(
                f"SELECT trial_id FROM trials WHERE trial_id IN ({marks}) AND state IN ('RUNNING', 'WAITING')",
                ids,
            ).fetchall()
        }
        for kind, tid, *rest in entries:
            if tid not in open_ids:
                continue
            if kind == "c":
                db.update_trial(tid, {"state": "RUNNING", "datetime_start": _when(rest[0])})
            elif kind == "p":
                name, internal, dist_text = rest
                external = distribution(dist_text).to_external(internal)
                db.delete_where_trial(S.trial_params, tid, name=name)
                db.insert(
                    S.trial_params,
                    [
                        {
                            "trial_id": tid,
                            "name": name,
                            "value": internal,
                            "value_json": dumps(external, what=f"param {name!r}"),
                            "distribution": dist_text,
                        }
                    ],
                )
            elif kind == "a":
                key, text, system = rest
                table = S.trial_system_attrs if system else S.trial_user_attrs
                db.delete_where_trial(table, tid, key=key)
                db.insert(table, [{"trial_id": tid, "key": key, "value_json": text}])
            elif kind == "k":
                db.delete_where_trial(S.trial_constraints, tid)
                db.insert(
                    S.trial_constraints,
                    [{"trial_id": tid, "idx": i, "value": float(v)} for i, v in enumerate(rest[0])],
                )


def _when(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


_IN_STUDY = "trial_id IN (SELECT trial_id FROM trials WHERE study_id = $sid)"

_TRIALS = (
    "SELECT trial_id, study_id, number, state, datetime_start, datetime_complete, fail_reason, "
    "finish_seq FROM trials WHERE study_id = $sid ORDER BY number"
)
_PARAM_KINDS = (  # numbered by position in this order
    f"SELECT DISTINCT name, distribution FROM {S.trial_params.name} WHERE {_IN_STUDY} "
    "ORDER BY name, distribution"
)
_PARAM_CELLS = (  # grouped by trial, each trial's params in the order they were written
    f"SELECT p.trial_id, k.kind, p.value FROM {S.trial_params.name} p JOIN ("
    "SELECT name, distribution, row_number() OVER (ORDER BY name, distribution) - 1 AS kind "
    f"FROM (SELECT DISTINCT name, distribution FROM {S.trial_params.name} WHERE {_IN_STUDY})"
    f") k USING (name, distribution) WHERE p.{_IN_STUDY} ORDER BY p.trial_id, p.rowid"
)


def _vectors(table: str, index: str) -> str:
    """One row per trial: (trial_id, [value ordered by ``index``])."""
    return f"SELECT trial_id, list(value ORDER BY {index}) FROM {table} WHERE {_IN_STUDY} GROUP BY trial_id"


_VALUES = _vectors(S.trial_values.name, "objective")
_CONSTRAINTS = _vectors(S.trial_constraints.name, "idx")
_INTERMEDIATE = (  # one level of grouping: a second (per trial) cost DuckDB more than Python
    f"SELECT trial_id, step, list(value ORDER BY objective) FROM {S.trial_intermediate_values.name} "
    f"WHERE {_IN_STUDY} GROUP BY trial_id, step ORDER BY trial_id, step"
)
_SCORES = (
    "SELECT trial_id, step, list(v ORDER BY question) FROM ("
    f"SELECT trial_id, step, question, list(value ORDER BY objective) AS v "
    f"FROM {S.trial_question_scores.name} WHERE {_IN_STUDY} GROUP BY trial_id, step, question) "
    "GROUP BY trial_id, step ORDER BY trial_id, step"
)


def _attrs(table: str) -> str:
    return f"SELECT trial_id, key, value_json FROM {table} WHERE {_IN_STUDY}"


_USER_ATTRS = _attrs(S.trial_user_attrs.name)
_SYSTEM_ATTRS = _attrs(S.trial_system_attrs.name)


def load_study(raw: Any, study_id: int) -> Records:
    """Every trial of ``study_id`` with all its details, through the DuckDB driver connection ``raw``."""

    def rows(sql: str) -> list[Any]:
        found: list[Any] = raw.execute(sql, {"sid": study_id}).fetchall()
        return found

    with no_gc():
        records = {r[0]: record_from_row(r) for r in rows(_TRIALS)}
        if not records:
            return records
        kinds = rows(_PARAM_KINDS)
        if kinds:
            cells = raw.execute(_PARAM_CELLS, {"sid": study_id}).fetchnumpy()
            fill_params(records, kinds, cells["trial_id"], cells["kind"], cells["value"])
        for tid, vector in rows(_VALUES):
            rec = records.get(tid)
            if rec is not None and not rec.unfinished:
                rec.values = tuple(vector)
        for tid, vector in rows(_CONSTRAINTS):
            rec = records.get(tid)
            if rec is not None:
                rec.constraints = tuple(vector)
        for tid, step, vector in rows(_INTERMEDIATE):
            rec = records.get(tid)
            if rec is not None:
                rec.intermediate_values[step] = tuple(vector)
        for tid, step, per_question in rows(_SCORES):
            rec = records.get(tid)
            if rec is not None:
                rec.intermediate_scores[step] = tuple(map(tuple, per_question))
        _fill_attrs(records, rows(_USER_ATTRS), system=False)
        _fill_attrs(records, rows(_SYSTEM_ATTRS), system=True)
    return records


def _fill_attrs(records: Records, found: Sequence[Any], *, system: bool) -> None:
    if not found:
        return
    # One parse of a JSON array holding every value: the same values as one parse per row, faster.
    values = json.loads("[" + ",".join(text for _, _, text in found) + "]")
    for (tid, key, _), value in zip(found, values, strict=True):
        rec = records.get(tid)
        if rec is not None:
            (rec.system_attrs if system else rec.user_attrs)[key] = value

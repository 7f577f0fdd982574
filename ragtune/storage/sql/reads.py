"""Bulk reads of trials: many trials with all their details in a fixed number of queries.

PostgreSQL reads (a few trials, often) send one UNION ALL query for all detail tables: one round
trip. A whole PostgreSQL study (a worker joining, ``study.trials``, ``trials_dataframe``) has its
params, most of its rows, packed by the server into one ``bytea`` and read as numpy columns
(:func:`load_pg_study`). Whole-study loads (DuckDB, PostgreSQL) decode params a block at a time
(:func:`fill_params`): trials that took the same path through a define-by-run space share one block.
A DuckDB study is loaded whole by :func:`ragtune.storage.sql.duckdb_file.load_study`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from typing import Any

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy.dialects.postgresql import ARRAY

from ragtune.core.distributions import AnyDistribution, FloatDistribution
from ragtune.storage.records import STATES_BY_NAME, TrialRecord, distribution, loads, no_gc
from ragtune.storage.sql import schema as S

_T = S.trials
_TRIAL_COLUMNS = (
    _T.c.trial_id,
    _T.c.study_id,
    _T.c.number,
    _T.c.state,
    _T.c.datetime_start,
    _T.c.datetime_complete,
    _T.c.fail_reason,
    _T.c.finish_seq,
)

Records = dict[int, TrialRecord]


def _details() -> dict[str, tuple[sa.Table, tuple[str, ...]]]:
    """Per kind of detail: its table and the columns its fill function reads, trial_id first."""
    return {
        "p": (S.trial_params, ("trial_id", "name", "value", "distribution")),
        "v": (S.trial_values, ("trial_id", "objective", "value")),
        "i": (S.trial_intermediate_values, ("trial_id", "step", "objective", "value")),
        "q": (S.trial_question_scores, ("trial_id", "step", "question", "objective", "value")),
        "u": (S.trial_user_attrs, ("trial_id", "key", "value_json")),
        "y": (S.trial_system_attrs, ("trial_id", "key", "value_json")),
        "k": (S.trial_constraints, ("trial_id", "idx", "value")),
    }


_DETAILS = _details()
# Where each kind's columns sit in a union row (trial_id, kind, name, a, b, c, num, txt).
_UNION_SLOTS = {
    "p": (0, 2, 6, 7),
    "v": (0, 3, 6),
    "i": (0, 3, 4, 6),
    "q": (0, 3, 4, 5, 6),
    "u": (0, 2, 7),
    "y": (0, 2, 7),
    "k": (0, 3, 6),
}
_UNION_COLUMNS = {"name": 2, "key": 2, "value_json": 7, "distribution": 7, "value": 6}


def _union_query(ids: sa.Select[Any], *, params: bool = True) -> sa.CompoundSelect[Any]:
    """Every detail row of the trials in ``ids`` as (trial_id, kind, name, a, b, c, num, txt); without
    the params rows if not ``params``."""
    types: list[sa.types.TypeEngine[Any]] = [sa.Text(), sa.BigInteger(), sa.BigInteger(), sa.BigInteger()]
    types += [sa.Double(), sa.Text()]
    branches = []
    for kind, (table, names) in _DETAILS.items():
        if kind == "p" and not params:
            continue
        slots: list[sa.ColumnElement[Any]] = [sa.cast(sa.null(), t) for t in types]
        ints = iter((1, 2, 3))  # a, b, c: integer columns in their order
        for n in names[1:]:
            at = _UNION_COLUMNS.get(n) or 2 + next(ints)
            slots[at - 2] = sa.cast(table.c[n], types[at - 2])
        cols = [table.c.trial_id, sa.literal(kind, sa.Text()), *slots]
        branches.append(sa.select(*cols).where(table.c.trial_id.in_(ids)))
    return sa.union_all(*branches)


@lru_cache(maxsize=4096)
def _codec(text: str) -> tuple[AnyDistribution, Callable[[float], Any]]:
    """A stored distribution and its internal-to-external function (the plain float case inlined)."""
    dist = distribution(text)
    if isinstance(dist, FloatDistribution) and dist.step is None:
        low, high, slow = dist.low, dist.high, dist.to_external
        return dist, lambda v: v if low <= v <= high else slow(v)
    return dist, dist.to_external


def _vector(cells: dict[int, float]) -> tuple[float, ...]:
    return tuple(cells[j] for j in sorted(cells))


def _fill_params(records: Records, rows: Iterable[Any]) -> None:
    for tid, name, value, text in rows:
        rec = records.get(tid)
        if rec is not None:
            dist, external = _codec(text)
            rec.internals[name] = value
            rec.params[name] = external(value)
            rec.distributions[name] = dist


def _by_trial(rows: Iterable[Any]) -> Iterator[tuple[int, tuple[float, ...]]]:
    """(trial id, vector) from (trial id, index, value) rows in any order: the values by index."""
    for tid, cells in groupby(sorted(rows, key=_TRIAL_AND_INDEX), key=_TRIAL):
        yield tid, tuple(map(_VALUE, cells))


_TRIAL_AND_INDEX, _TRIAL, _VALUE = itemgetter(0, 1), itemgetter(0), itemgetter(2)


def _fill_values(records: Records, rows: Iterable[Any]) -> None:
    for tid, vector in _by_trial(rows):
        rec = records.get(tid)
        if rec is not None and not rec.unfinished:  # finished after its row was read: next read
            rec.values = vector


def _fill_intermediate(records: Records, rows: Iterable[Any]) -> None:
    cells: dict[int, dict[int, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
    for tid, step, objective, value in rows:
        cells[int(tid)][int(step)][int(objective)] = value
    for tid, steps in cells.items():
        rec = records.get(tid)
        if rec is not None:
            rec.intermediate_values = {s: _vector(c) for s, c in sorted(steps.items())}


def _fill_scores(records: Records, rows: Iterable[Any]) -> None:
    cells: dict[int, dict[int, dict[int, dict[int, float]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(dict))
    )
    for tid, step, question, objective, value in rows:
        cells[int(tid)][int(step)][int(question)][int(objective)] = value
    for tid, steps in cells.items():
        rec = records.get(tid)
        if rec is not None:
            rec.intermediate_scores = {
                s: tuple(_vector(row) for _, row in sorted(qs.items())) for s, qs in sorted(steps.items())
            }


def _fill_attrs(records: Records, rows: Iterable[Any], *, system: bool) -> None:
    for tid, key, text in rows:
        rec = records.get(int(tid))
        if rec is not None:
            (rec.system_attrs if system else rec.user_attrs)[key] = loads(text)


def _fill_constraints(records: Records, rows: Iterable[Any]) -> None:
    for tid, vector in _by_trial(rows):
        rec = records.get(tid)
        if rec is not None:
            rec.constraints = vector


def _fill(records: Records, kind: str, rows: Iterable[Any]) -> None:
    if kind == "p":
        _fill_params(records, rows)
    elif kind == "v":
        _fill_values(records, rows)
    elif kind == "i":
        _fill_intermediate(records, rows)
    elif kind == "q":
        _fill_scores(records, rows)
    elif kind in ("u", "y"):
        _fill_attrs(records, rows, system=kind == "y")
    else:
        _fill_constraints(records, rows)


def record_from_row(row: Any) -> TrialRecord:
    tid, sid, number, state, start, complete, reason, seq = row
    return TrialRecord(
        trial_id=tid,
        study_id=sid,
        number=number,
        state=STATES_BY_NAME[state],
        datetime_start=start,
        datetime_complete=complete,
        fail_reason=reason,
        finish_seq=seq,
    )


def load_records(conn: sa.Connection, where: sa.ColumnElement[bool], *, params: bool = True) -> Records:
    """Trials matching ``where`` (on the trials table), ordered by number, with all details (params
    only if ``params``), in two queries (the details in one UNION ALL)."""
    ids = sa.select(_T.c.trial_id).where(where)
    return _records(
        lambda: driver_rows(conn, sa.select(*_TRIAL_COLUMNS).where(where).order_by(_T.c.number)),
        lambda: driver_rows(conn, _union_query(ids, params=params)),
    )


def _records(trial_rows: Callable[[], Iterable[Any]], detail_rows: Callable[[], Iterable[Any]]) -> Records:
    """Records from the trials' rows, filled from the UNION ALL detail rows (read only if any trial)."""
    with no_gc():
        records = {r[0]: record_from_row(r) for r in trial_rows()}
        if records:
            _fill_union(records, detail_rows())
    return records


def driver_rows(conn: sa.Connection, stmt: sa.ClauseElement) -> list[Any]:
    """All rows of ``stmt`` as the driver's tuples.

    A whole study is hundreds of thousands of detail rows; SQLAlchemy's Row objects for them cost more
    than the server's work, and these columns need no result processing. A failed read discards the
    connection, as SQLAlchemy does when it sees a driver error.
    """
    compiled = stmt.compile(dialect=conn.dialect)
    cursor = conn.connection.cursor()
    try:
        cursor.execute(str(compiled), compiled.params)
        rows = list(cursor.fetchall())
    except BaseException:
        conn.invalidate()
        raise
    finally:
        cursor.close()
    return rows


@lru_cache(maxsize=1)
def _by_ids() -> tuple[sa.Select[Any], sa.CompoundSelect[Any]]:
    """Trial rows and detail rows for ``trial_id = ANY(:ids)`` (PostgreSQL), built once.

    One text of SQL whatever the ids: SQLAlchemy compiles it once and the server prepares it once.
    """
    ids = sa.bindparam("ids", type_=ARRAY(sa.BigInteger()))
    trials = sa.select(*_TRIAL_COLUMNS).where(_T.c.trial_id == sa.any_(ids)).order_by(_T.c.number)
    return trials, _union_query(sa.select(_T.c.trial_id).where(_T.c.trial_id == sa.any_(ids)))


def load_by_ids(conn: sa.Connection, trial_ids: Iterable[int]) -> Records:
    """The trials with these ids (PostgreSQL), with all details, in two prepared statements."""
    ids = list(trial_ids)
    if not ids:
        return {}
    trials_stmt, details_stmt = _by_ids()
    return _records(
        lambda: conn.execute(trials_stmt, {"ids": ids}).all(),
        lambda: conn.execute(details_stmt, {"ids": ids}).all(),
    )


def _fill_union(records: Records, rows: Iterable[Any]) -> None:
    by_kind: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_kind[row[1]].append(row)
    for kind, slots in _UNION_SLOTS.items():
        _fill(records, kind, map(itemgetter(*slots), by_kind.get(kind, ())))


# -- params of a whole study, decoded a block (one define-by-run path) at a time -----------------
def fill_params(
    records: Records,
    kinds: Sequence[Any],
    trial_ids: NDArray[np.int64],
    kind_ids: NDArray[np.int64],
    values: NDArray[np.float64],
) -> None:
    """Each trial's params from cells sorted by trial: (trial id, kind number, internal value);
    ``kinds[k]`` is the (name, distribution JSON) pair numbered ``k``.

    Trials whose cells list the same kinds in the same order (one per path through a define-by-run
    space) form a block of shape (trials, params); each column is decoded by its distribution at
    once, and each trial's dicts are built from its row of the block.
    """
    names = [str(name) for name, _ in kinds]
    dists = [distribution(text) for _, text in kinds]
    starts = np.flatnonzero(np.r_[True, trial_ids[1:] != trial_ids[:-1]])
    ends = np.r_[starts[1:], len(trial_ids)]
    signature = kind_ids.astype(np.int32).tobytes()
    width = np.dtype(np.int32).itemsize
    paths: defaultdict[bytes, list[int]] = defaultdict(list)
    for i, (a, b) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        paths[signature[a * width : b * width]].append(i)
    for path, members in paths.items():
        kind_of = np.frombuffer(path, dtype=np.int32).tolist()
        keys = [names[k] for k in kind_of]
        path_dists = {names[k]: dists[k] for k in kind_of}
        first = starts[members]
        block = values[first[:, None] + np.arange(len(kind_of))]
        externals = [dists[k].to_external_many(block[:, j]) for j, k in enumerate(kind_of)]
        for tid, internals, params in zip(
            trial_ids[first].tolist(), block.tolist(), zip(*externals, strict=True), strict=True
        ):
            rec = records.get(tid)
            if rec is None:
                continue
            rec.params = dict(zip(keys, params, strict=True))
            if rec.unfinished:  # it will be written again: it keeps its own containers
                rec.internals = dict(zip(keys, internals, strict=True))
                rec.distributions = dict(path_dists)
            else:  # never changes again: the path's distributions are shared, internals not kept
                rec.distributions = path_dists


# -- a whole PostgreSQL study -------------------------------------------------------------------
_PARAMS = S.trial_params.name
_KEY = "hashtextextended(name || chr(31) || distribution, 0)"
_CELLS = (
    f"SELECT string_agg(int8send(trial_id) || int8send({_KEY}) || float8send(value), ''::bytea) "
    f"FROM {_PARAMS} WHERE trial_id IN (SELECT trial_id FROM {S.trials.name} WHERE study_id = %(sid)s)"
)
_KINDS = f"SELECT DISTINCT name, distribution, {_KEY} FROM {_PARAMS} WHERE trial_id = ANY(%(tids)s)"
_CELL = np.dtype([("tid", ">i8"), ("key", ">i8"), ("value", ">f8")])


def load_pg_study(conn: sa.Connection, study_id: int) -> Records:
    """Every trial of ``study_id`` with all its details (the same records as
    ``load_records(conn, trials.study_id == study_id)``), from PostgreSQL.

    Params are sent as ordinary rows psycopg would make a tuple of four Python objects for each;
    here the server packs them into one ``bytea``: per param the trial id, a 64-bit hash of its
    (name, distribution) pair and the internal value, each in network byte order, so the client
    reads the whole table as one numpy array. The pairs themselves are read from the few trials
    that first show each hash. The other detail tables keep the UNION ALL read.
    """
    where = S.trials.c.study_id == study_id
    records = load_records(conn, where, params=False)
    if not records:
        return records
    raw: Any = conn.connection.driver_connection
    from psycopg.errors import UndefinedFunction  # the postgres extra: imported only on this path

    try:
        with raw.cursor() as cur:
            cur.execute(_CELLS, {"sid": study_id}, binary=True)
            packed = cur.fetchone()[0]
            if packed is None:
                return records  # no params at all
            cells = np.frombuffer(packed, dtype=_CELL)
            keys, first = np.unique(cells["key"], return_index=True)
            cur.execute(_KINDS, {"tids": cells["tid"][first].astype(np.int64).tolist()})
            kinds = cur.fetchall()
    except UndefinedFunction:  # a server older than PostgreSQL 11 (no hashtextextended)
        return load_records(conn, where)
    except BaseException:
        conn.invalidate()
        raise
    found = np.array([k for _, _, k in kinds], dtype=np.int64)
    if found.size != keys.size or not np.array_equal(np.sort(found), keys):
        # A hash shared by two pairs, or a param of a new kind written between the two reads.
        return load_records(conn, where)
    order = np.argsort(found)
    kind_ids = order[np.searchsorted(keys, cells["key"])]
    by_trial = np.argsort(cells["tid"], kind="stable")  # each trial's params in the order they came
    with no_gc():
        fill_params(
            records,
            [(name, text) for name, text, _ in kinds],
            cells["tid"][by_trial].astype(np.int64),
            kind_ids[by_trial].astype(np.int64),
            cells["value"][by_trial].astype(np.float64),
        )
    return records

"""Loading a whole PostgreSQL study: params as one binary value, read as numpy columns.

A worker joining a big study, ``study.trials`` and ``trials_dataframe`` read every trial at once.
Params are most of those rows (one per trial and param), and sent as ordinary rows psycopg makes a
tuple of four Python objects for each. Here the server packs them into one ``bytea``: per param
the trial id, a 64-bit hash of its (name, distribution) pair and the internal value, each in
network byte order, so the client reads the whole table as one numpy array, with no Python object
per cell (``COPY`` would send a message per row). The pairs themselves are read from the few trials
that first show each hash. The other detail tables keep the UNION ALL read of
:mod:`ragtune.storage.sql.loading`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sqlalchemy as sa

from ragtune.storage.records import no_gc
from ragtune.storage.sql import schema as S
from ragtune.storage.sql.loading import Records, load_records
from ragtune.storage.sql.param_blocks import fill_params

_PARAMS = S.trial_params.name
_KEY = "hashtextextended(name || chr(31) || distribution, 0)"
_CELLS = (
    f"SELECT string_agg(int8send(trial_id) || int8send({_KEY}) || float8send(value), ''::bytea) "
    f"FROM {_PARAMS} WHERE trial_id IN (SELECT trial_id FROM {S.trials.name} WHERE study_id = %(sid)s)"
)
_KINDS = f"SELECT DISTINCT name, distribution, {_KEY} FROM {_PARAMS} WHERE trial_id = ANY(%(tids)s)"
_CELL = np.dtype([("tid", ">i8"), ("key", ">i8"), ("value", ">f8")])


def load_study(conn: sa.Connection, study_id: int) -> Records:
    """Every trial of ``study_id`` with all its details (the same records as
    ``load_records(conn, trials.study_id == study_id)``)."""
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

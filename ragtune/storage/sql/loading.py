"""Bulk reads: many trials with all their details in two queries, whatever their number."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from ragtune.core.distributions import AnyDistribution
from ragtune.storage.sql import schema as S
from ragtune.storage.sql.records import STATES_BY_NAME, TrialRecord, distribution, loads

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


def _as(column: sa.ColumnElement[Any] | None, type_: sa.types.TypeEngine[Any]) -> sa.ColumnElement[Any]:
    return sa.cast(column if column is not None else sa.null(), type_)


def _children_query(ids: sa.Select[Any]) -> sa.CompoundSelect[Any]:
    """Every child row of the trials in ``ids`` as (trial_id, kind, name, a, b, c, num, txt)."""
    big, text, num = sa.BigInteger(), sa.Text(), sa.Double[float]()

    def branch(
        table: sa.Table,
        kind: str,
        name: sa.ColumnElement[Any] | None = None,
        a: sa.ColumnElement[Any] | None = None,
        b: sa.ColumnElement[Any] | None = None,
        c: sa.ColumnElement[Any] | None = None,
        value: sa.ColumnElement[Any] | None = None,
        txt: sa.ColumnElement[Any] | None = None,
    ) -> sa.Select[Any]:
        cols = (
            table.c.trial_id,
            sa.literal(kind, text),
            _as(name, text),
            _as(a, big),
            _as(b, big),
            _as(c, big),
            _as(value, num),
            _as(txt, text),
        )
        return sa.select(*cols).where(table.c.trial_id.in_(ids))

    p, v, i = S.trial_params, S.trial_values, S.trial_intermediate_values
    q, u, y, k = S.trial_question_scores, S.trial_user_attrs, S.trial_system_attrs, S.trial_constraints
    return sa.union_all(
        branch(p, "p", name=p.c.name, value=p.c.value, txt=p.c.distribution),
        branch(v, "v", a=v.c.objective, value=v.c.value),
        branch(i, "i", a=i.c.step, b=i.c.objective, value=i.c.value),
        branch(q, "q", a=q.c.step, b=q.c.question, c=q.c.objective, value=q.c.value),
        branch(u, "u", name=u.c.key, txt=u.c.value_json),
        branch(y, "y", name=y.c.key, txt=y.c.value_json),
        branch(k, "k", a=k.c.idx, value=k.c.value),
    )


@lru_cache(maxsize=4096)
def _codec(text: str) -> tuple[AnyDistribution, Callable[[float], Any]]:
    dist = distribution(text)
    return dist, dist.to_external


def _vector(cells: dict[int, float]) -> tuple[float, ...]:
    return tuple(cells[j] for j in sorted(cells))


def _fill(records: dict[int, TrialRecord], rows: Iterable[Any]) -> None:
    values: dict[int, dict[int, float]] = defaultdict(dict)
    inter: dict[int, dict[int, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
    scores: dict[int, dict[int, dict[int, dict[int, float]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(dict))
    )
    cons: dict[int, dict[int, float]] = defaultdict(dict)
    for tid, kind, name, a, b, c, num, txt in rows:
        rec = records.get(tid)
        if rec is None:
            continue
        if kind == "p":  # most rows: set_param inlined
            dist, external = _codec(txt)
            rec.internals[name] = num
            rec.params[name] = external(num)
            rec.distributions[name] = dist
        elif kind == "v":
            values[rec.trial_id][a] = num
        elif kind == "i":
            inter[rec.trial_id][a][b] = num
        elif kind == "q":
            scores[rec.trial_id][a][b][c] = num
        elif kind == "u":
            rec.user_attrs[name] = loads(txt)
        elif kind == "y":
            rec.system_attrs[name] = loads(txt)
        else:
            cons[rec.trial_id][a] = num
    for tid, cells in values.items():
        if not records[tid].unfinished:  # it finished after its row was read: next read shows it
            records[tid].values = _vector(cells)
    for tid, steps in inter.items():
        records[tid].intermediate_values = {s: _vector(cells) for s, cells in sorted(steps.items())}
    for tid, steps_q in scores.items():
        records[tid].intermediate_scores = {
            s: tuple(_vector(row) for _, row in sorted(qs.items())) for s, qs in sorted(steps_q.items())
        }
    for tid, cells in cons.items():
        records[tid].constraints = _vector(cells)


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


Fetch = Callable[[Any], Sequence[Any]]


def load_records(
    conn: sa.Connection, where: sa.ColumnElement[bool], *, fetch: Fetch | None = None
) -> dict[int, TrialRecord]:
    """Trials matching ``where`` (on the trials table), ordered by number, with all details.

    ``fetch`` runs a statement and returns all its rows (default: through ``conn``).
    """
    run: Fetch = fetch if fetch is not None else (lambda stmt: conn.execute(stmt).all())
    rows = run(sa.select(*_TRIAL_COLUMNS).where(where).order_by(_T.c.number))
    records = {r[0]: record_from_row(r) for r in rows}
    if records:
        _fill(records, run(_children_query(sa.select(_T.c.trial_id).where(where))))
    return records


def load_by_ids(conn: sa.Connection, study_id: int, trial_ids: Iterable[int]) -> dict[int, TrialRecord]:
    ids = list(trial_ids)
    if not ids:
        return {}
    return load_records(conn, sa.and_(_T.c.study_id == study_id, _T.c.trial_id.in_(ids)))

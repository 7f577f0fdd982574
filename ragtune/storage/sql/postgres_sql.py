"""The statements a PostgreSQL worker runs (each one round trip to the server), and the sweep that
fails the trials of dead workers (stale heartbeats) and re-queues them once."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSON
from sqlalchemy.dialects.postgresql import insert as pg_insert

from ragtune.core.trial_state import TrialState
from ragtune.log import get_logger
from ragtune.storage.bookkeeping import requeue_template
from ragtune.storage.records import STATE_NAMES, record_from_template
from ragtune.storage.sql import schema as S
from ragtune.storage.sql import writes
from ragtune.storage.sql.reads import load_by_ids

_T, _ST = S.trials, S.studies
RUNNING = STATE_NAMES[TrialState.RUNNING]
UNFINISHED = (RUNNING, STATE_NAMES[TrialState.WAITING])
#: Inside a transaction: wait for the WAL flush at commit (sessions default to async commits).
SYNC_COMMIT = sa.text("SET LOCAL synchronous_commit TO on")


def create_running() -> sa.Insert:
    """One statement: bump the study's trial counter and insert the RUNNING trial it numbers."""
    counter = (
        _ST.update()
        .where(_ST.c.study_id == sa.bindparam("sid"))
        .values(n_trials=_ST.c.n_trials + 1)
        .returning(_ST.c.n_trials)
        .cte("counter")
    )
    source = sa.select(
        sa.func.nextval("trials_trial_id_seq"),
        sa.bindparam("sid", type_=sa.BigInteger),
        counter.c.n_trials - 1,
        sa.literal(RUNNING),
        sa.bindparam("start", type_=sa.DateTime),
        writes.SERVER_EPOCH,
    )
    columns = ["trial_id", "study_id", "number", "state", "datetime_start", "heartbeat"]
    return _T.insert().from_select(columns, source).returning(_T.c.trial_id, _T.c.number).add_cte(counter)


def claim_oldest() -> sa.Select[Any]:
    """One statement: move the oldest WAITING trial no other worker is claiming to RUNNING."""
    oldest = (
        sa.select(_T.c.trial_id)
        .where(_T.c.study_id == sa.bindparam("sid"), _T.c.state == STATE_NAMES[TrialState.WAITING])
        .order_by(_T.c.number)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    claimed = (
        _T.update()
        .where(_T.c.trial_id == oldest)
        .values(state=RUNNING, datetime_start=sa.bindparam("start"), heartbeat=writes.SERVER_EPOCH)
        .returning(_T.c.trial_id)
        .cte("claimed")
    )
    study = sa.select(_ST.c.study_id).where(_ST.c.study_id == sa.bindparam("sid")).exists()
    return sa.select(sa.select(claimed.c.trial_id).scalar_subquery(), study).add_cte(claimed)


def _records(param: str, *columns: tuple[str, sa.types.TypeEngine[Any]]) -> Any:
    """``json_to_recordset(:param) AS name(col type, ...)``: many rows in one text parameter.

    One JSON string costs the client far less to send than a list per column (array adaptation).
    """
    return (
        sa.func.json_to_recordset(sa.cast(sa.bindparam(param, type_=sa.Text), JSON))
        .table_valued(*(sa.column(name, type_) for name, type_ in columns))
        .render_derived(name=f"{param}_in", with_types=True)
    )


_PARAM_COLUMNS: tuple[tuple[str, sa.types.TypeEngine[Any]], ...] = (
    ("name", sa.Text()),
    ("value", sa.Double()),
    ("value_json", sa.Text()),
    ("distribution", sa.Text()),
)


def _upsert_params(source: sa.Select[Any]) -> Any:
    p = S.trial_params
    stmt = pg_insert(p).from_select(["trial_id", "name", "value", "value_json", "distribution"], source)
    ex = stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=[p.c.trial_id, p.c.name],
        set_={"value": ex.value, "value_json": ex.value_json, "distribution": ex.distribution},
    ).returning(p.c.trial_id)


def params_upsert() -> Any:
    """One statement for any number of param rows, kept only for trials that are still unfinished.

    The trial rows are locked FOR SHARE, so a concurrent stale-trial sweep waits for this write.
    Parameter ``rows``: :func:`param_json` of the rows; returns the trial ids written to.
    """
    t = S.trials
    rows = _records("rows", ("trial_id", sa.BigInteger()), *_PARAM_COLUMNS)
    source = (
        sa.select(rows.c.trial_id, rows.c.name, rows.c.value, rows.c.value_json, rows.c.distribution)
        .select_from(rows.join(t, t.c.trial_id == rows.c.trial_id))
        .where(t.c.state.in_(UNFINISHED))
        .with_for_update(read=True, of=t)
    )
    return _upsert_params(source)


def param_json(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, separators=(",", ":"))


def finish() -> sa.Select[Any]:
    """One statement: bump the finishing counter, finish the trial if unfinished and store its
    values (``values``: JSON list of {objective, value}).

    Returns (trial_id, finish_seq); trial_id is NULL when the trial was not unfinished, and then the
    caller rolls the transaction back (the counter bump with it). It also makes this transaction's
    commit wait for the WAL flush: a finished trial survives a server crash.
    """
    tid = sa.bindparam("tid", type_=sa.BigInteger)
    counter = (
        _ST.update()
        .where(_ST.c.study_id == sa.select(_T.c.study_id).where(_T.c.trial_id == tid).scalar_subquery())
        .values(n_finished=_ST.c.n_finished + 1)
        .returning(_ST.c.n_finished)
        .cte("counter")
    )
    done = (
        _T.update()
        .where(_T.c.trial_id == tid, _T.c.state.in_(UNFINISHED))
        .values(
            state=sa.bindparam("state"),
            datetime_complete=sa.bindparam("now"),
            fail_reason=sa.bindparam("reason"),
            finish_seq=sa.select(counter.c.n_finished).scalar_subquery(),
        )
        .returning(_T.c.trial_id)
        .cte("done")
    )
    values = _records("values", ("objective", sa.Integer()), ("value", sa.Double()))
    stored = (
        S.trial_values.insert()
        .from_select(
            ["trial_id", "objective", "value"],
            sa.select(done.c.trial_id, values.c.objective, values.c.value).select_from(
                done.join(values, sa.true())
            ),
        )
        .returning(S.trial_values.c.trial_id)
        .cte("stored")
    )
    return sa.select(
        sa.select(done.c.trial_id).scalar_subquery(),
        sa.select(counter.c.n_finished).scalar_subquery(),
        sa.func.set_config("synchronous_commit", "on", True),
    ).add_cte(counter, done, stored)


def since() -> sa.Select[Any]:
    """The study's finishing counter with the trials finished after ``cursor`` and the unfinished
    ones, in one statement (one snapshot): ``sid``, ``cursor``."""
    wanted = sa.and_(
        _T.c.study_id == _ST.c.study_id,
        sa.or_(_T.c.finish_seq > sa.bindparam("cursor", type_=sa.BigInteger), _T.c.state.in_(UNFINISHED)),
    )
    return (
        sa.select(_ST.c.n_finished, _T.c.trial_id, _T.c.finish_seq)
        .select_from(_ST.outerjoin(_T, wanted))
        .where(_ST.c.study_id == sa.bindparam("sid", type_=sa.BigInteger))
        .order_by(_T.c.finish_seq.nulls_last(), _T.c.number)
    )


def hold_unfinished() -> sa.Select[Any]:
    """Lock the unfinished trial ``tid`` for shared writing (no row: it is finished or missing)."""
    return (
        sa.select(_T.c.state)
        .where(_T.c.trial_id == sa.bindparam("tid", type_=sa.BigInteger), _T.c.state.in_(UNFINISHED))
        .with_for_update(read=True)
    )


def heartbeat() -> sa.Update:
    return (
        _T.update()
        .where(_T.c.trial_id == sa.bindparam("tid", type_=sa.BigInteger), _T.c.state == RUNNING)
        .values(heartbeat=writes.SERVER_EPOCH)
    )


_log = get_logger("storage")
_T, _ST = S.trials, S.studies
_RUNNING = STATE_NAMES[TrialState.RUNNING]


def stale_reason(last_beat: float | None, now: float, grace_period: float) -> str:
    if last_beat is None:
        return "worker stopped sending heartbeats (none was received)"
    at = dt.datetime.fromtimestamp(last_beat, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return (
        f"worker stopped sending heartbeats (last at {at}, {now - last_beat:.1f} s before this check; "
        f"grace period {grace_period:g} s)"
    )


def fail_stale(engine: sa.Engine, study_id: int, *, grace_period: float, requeue: bool) -> list[int]:
    """Fail the study's RUNNING trials whose heartbeat is older than ``grace_period`` seconds."""
    stale = sa.and_(
        _T.c.study_id == study_id,
        _T.c.state == _RUNNING,
        sa.or_(_T.c.heartbeat.is_(None), _T.c.heartbeat < writes.SERVER_EPOCH - grace_period),
    )
    with engine.connect() as conn:
        if conn.execute(sa.select(_T.c.trial_id).where(stale).limit(1)).first() is None:
            return []
    failed_ids: list[int] = []
    with engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL synchronous_commit TO on"))
        # Study row first, then trial rows: the lock order every writer follows.
        conn.execute(sa.select(_ST.c.study_id).where(_ST.c.study_id == study_id).with_for_update())
        rows = conn.execute(
            sa.select(_T.c.trial_id, _T.c.heartbeat, writes.SERVER_EPOCH)
            .where(stale)
            .order_by(_T.c.number)
            .with_for_update(skip_locked=True)
        ).all()
        if not rows:
            return []
        records = load_by_ids(conn, [int(r[0]) for r in rows])
        now_dt = dt.datetime.now()
        for tid, beat, server_now in rows:
            rec = records[int(tid)]
            seq = conn.execute(
                _ST.update()
                .where(_ST.c.study_id == study_id)
                .values(n_finished=_ST.c.n_finished + 1)
                .returning(_ST.c.n_finished)
            ).scalar_one()
            reason = stale_reason(beat, float(server_now), grace_period)
            conn.execute(
                _T.update()
                .where(_T.c.trial_id == tid)
                .values(
                    state=STATE_NAMES[TrialState.FAIL],
                    datetime_complete=now_dt,
                    fail_reason=reason,
                    finish_seq=seq,
                )
            )
            failed_ids.append(int(tid))
            template = requeue_template(rec) if requeue else None
            if template is not None:
                copy = record_from_template(-1, study_id, -1, template)
                writes.insert_new_trial(conn, copy)
                _log.warning("trial %d failed: %s; re-queued as trial %d", rec.number, reason, copy.number)
            else:
                _log.warning("trial %d failed: %s", rec.number, reason)
    return failed_ids

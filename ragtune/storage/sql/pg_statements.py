"""The statements a PostgreSQL worker runs on every trial, each one round trip to the server."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert

from ragtune.core.trial_state import TrialState
from ragtune.storage.sql import schema as S
from ragtune.storage.sql import writes
from ragtune.storage.sql.records import STATE_NAMES

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


def params_upsert() -> sa.Insert:
    """One statement for any number of param rows, kept only for trials that are still unfinished.

    The trial rows are locked FOR SHARE, so a concurrent stale-trial sweep waits for this write.
    Parameters: ids, names, values, jsons, dists (parallel arrays); returns the written trial ids.
    """
    t, p = S.trials, S.trial_params
    rows = (
        sa.func.unnest(
            sa.bindparam("ids", type_=ARRAY(sa.BigInteger)),
            sa.bindparam("names", type_=ARRAY(sa.Text)),
            sa.bindparam("values", type_=ARRAY(sa.Double)),
            sa.bindparam("jsons", type_=ARRAY(sa.Text)),
            sa.bindparam("dists", type_=ARRAY(sa.Text)),
        )
        .table_valued("trial_id", "name", "value", "value_json", "distribution")
        .render_derived(name="v")
    )
    source = (
        sa.select(rows.c.trial_id, rows.c.name, rows.c.value, rows.c.value_json, rows.c.distribution)
        .select_from(rows.join(t, t.c.trial_id == rows.c.trial_id))
        .where(t.c.state.in_(UNFINISHED))
        .with_for_update(read=True, of=t)
    )
    stmt = pg_insert(p).from_select(["trial_id", "name", "value", "value_json", "distribution"], source)
    ex = stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=[p.c.trial_id, p.c.name],
        set_={"value": ex.value, "value_json": ex.value_json, "distribution": ex.distribution},
    ).returning(p.c.trial_id)


def as_arrays(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    return {
        "ids": [r["trial_id"] for r in rows],
        "names": [r["name"] for r in rows],
        "values": [r["value"] for r in rows],
        "jsons": [r["value_json"] for r in rows],
        "dists": [r["distribution"] for r in rows],
    }


def finish() -> sa.Select[Any]:
    """One statement: bump the finishing counter, finish the trial if unfinished, store its values.

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
    values = (
        sa.func.unnest(
            sa.bindparam("objectives", type_=ARRAY(sa.Integer)),
            sa.bindparam("values", type_=ARRAY(sa.Double)),
        )
        .table_valued("objective", "value")
        .render_derived(name="v")
    )
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

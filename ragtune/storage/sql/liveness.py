"""Trials whose worker died: mark them FAIL and, once, queue a WAITING copy with the same params."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trial_state import TrialState
from ragtune.log import get_logger
from ragtune.storage.records import STATE_NAMES, TrialRecord, record_from_template
from ragtune.storage.sql import schema as S
from ragtune.storage.sql import writes
from ragtune.storage.sql.loading import load_by_ids

_log = get_logger("storage")
_T, _ST = S.trials, S.studies
_RUNNING = STATE_NAMES[TrialState.RUNNING]

#: System attr on a re-queued trial: the number of the failed trial it repeats.
REQUEUED_FROM = "requeued_from"


def requeue_template(failed: TrialRecord) -> FrozenTrial | None:
    """The WAITING copy of a dead worker's trial; None when it was itself a re-queue, or when it
    died before it had any params (a copy would just be a new trial)."""
    if REQUEUED_FROM in failed.system_attrs:
        return None
    fixed: dict[str, Any] = dict(failed.system_attrs.get("fixed_params") or {})
    fixed.update(failed.params)
    if not fixed:
        return None
    return FrozenTrial(
        number=-1,
        state=TrialState.WAITING,
        system_attrs={"fixed_params": fixed, REQUEUED_FROM: failed.number},
    )


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

"""The PostgreSQL backend: many worker processes share a study through row locks and counters.

Finished trials never change, so each process caches the snapshots of the latest ones (a bounded
number: a worker's memory does not grow with the study) and reads only trials that finished since
its cursor, plus the unfinished ones. Trial numbers and finishing order come from
counters on the study row, bumped in the same transaction as the trial they number: gap-free, and
commits happen in counter order, so a reader's snapshot always holds a prefix of the finishing order.
A writer locks the study row before any trial row, or skips locked trial rows (the stale-trial
sweep), so workers cannot deadlock. Sessions commit asynchronously; finishing a trial and study
changes wait for the WAL flush, so what a worker reports as done survives a server crash.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Container, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import sqlalchemy as sa

from ragtune.core.distributions import AnyDistribution
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trial_state import TrialState
from ragtune.exceptions import TrialNotFound, UpdateFinishedTrialError
from ragtune.storage.base import TrialsDelta
from ragtune.storage.records import (
    STATE_NAMES,
    TrialRecord,
    distribution_json,
    dumps,
    finished_error,
    json_copy,
    record_from_template,
)
from ragtune.storage.sql import postgres_sql as Q
from ragtune.storage.sql import schema as S
from ragtune.storage.sql import studies, writes
from ragtune.storage.sql.reads import driver_rows, load_by_ids, load_pg_study
from ragtune.storage.sql.studies import SQLStudies

_T, _ST = S.trials, S.studies
_BULK_IDS = 2000  # above this many trials to fetch, read the whole study instead of an id list
_CACHED_SNAPSHOTS = 512  # finished snapshots kept per process; older ones are read again if asked for


class PostgresStore(SQLStudies):
    """Trials live in PostgreSQL; this object caches finished snapshots and mirrors its own trials."""

    def __init__(
        self,
        engine: sa.Engine,
        *,
        heartbeat_interval: float | None,
        grace_period: float,
        requeue_failed: bool,
    ) -> None:
        self.heartbeat_interval = heartbeat_interval
        self.grace_period = grace_period
        self.requeue_failed = requeue_failed
        self._engine = engine
        self._auto = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._lock = threading.Lock()
        self._cache = _Snapshots(_CACHED_SNAPSHOTS)
        self._owned: dict[int, TrialRecord] = {}  # unfinished trials this object created or claimed
        self._beats: dict[int, float] = {}  # trial_id -> monotonic time of the last heartbeat written
        self._sweeps: dict[int, float] = {}  # study_id -> monotonic time of the last stale sweep
        self._create_stmt = Q.create_running()
        self._claim_stmt = Q.claim_oldest()
        self._params_stmt = Q.params_upsert()
        self._finish_stmt = Q.finish()
        self._since_stmt = Q.since()
        self._hold_stmt = Q.hold_unfinished()
        self._beat_stmt = Q.heartbeat()

    # -- studies (see SQLStudies) ------------------------------------------------------------
    def _reading(self) -> AbstractContextManager[sa.Connection]:
        return self._auto.connect()

    def _writing(self) -> AbstractContextManager[sa.Connection]:
        return self._durable()

    @contextmanager
    def _durable(self) -> Iterator[sa.Connection]:
        with self._engine.begin() as conn:
            conn.execute(Q.SYNC_COMMIT)
            yield conn

    def _forget(self, trial_ids: list[int]) -> None:
        with self._lock:
            for tid in trial_ids:
                self._cache.pop(tid)
                self._owned.pop(tid, None)
                self._beats.pop(tid, None)

    # -- creating and claiming -------------------------------------------------------------
    def create_new_trial(self, study_id: int, template: FrozenTrial | None = None) -> FrozenTrial:
        rec = record_from_template(-1, study_id, -1, template)
        if template is not None:
            with self._durable() as conn:
                writes.insert_new_trial(conn, rec)
            return self._adopt(rec)
        with self._auto.connect() as conn:
            row = conn.execute(self._create_stmt, {"sid": study_id, "start": rec.datetime_start}).first()
        if row is None:
            raise studies.no_study(study_id)
        rec.trial_id, rec.number = int(row[0]), int(row[1])
        return self._adopt(rec)

    def _adopt(self, rec: TrialRecord) -> FrozenTrial:
        with self._lock:
            frozen = rec.freeze()
            if rec.unfinished:
                self._owned[rec.trial_id] = rec
                if rec.state is TrialState.RUNNING:
                    self._beats[rec.trial_id] = time.monotonic()
            else:
                self._cache.put(rec.trial_id, frozen)
        return frozen

    def claim_waiting_trial(self, study_id: int) -> FrozenTrial | None:
        with self._auto.connect() as conn:
            row: Any = conn.execute(self._claim_stmt, {"sid": study_id, "start": dt.datetime.now()}).one()
            claimed, exists = row
            if claimed is None:
                if not exists:
                    raise studies.no_study(study_id)
                return None
            rec = load_by_ids(conn, [int(claimed)])[int(claimed)]
        return self._adopt(rec)

    # -- writing to an unfinished trial ----------------------------------------------------
    def _refuse(self, conn: sa.Connection, trial_id: int) -> UpdateFinishedTrialError | TrialNotFound:
        row = conn.execute(sa.select(_T.c.number, _T.c.state).where(_T.c.trial_id == trial_id)).first()
        with self._lock:
            self._owned.pop(trial_id, None)
        if row is None:
            return TrialNotFound(f"no trial with id {trial_id}")
        return finished_error(int(row[0]), str(row[1]))

    def set_trial_param(
        self, trial_id: int, name: str, internal: float, distribution: AnyDistribution
    ) -> None:
        row = {
            "trial_id": trial_id,
            "name": name,
            "value": float(internal),
            "value_json": dumps(distribution.to_external(internal), what=f"param {name!r}"),
            "distribution": distribution_json(distribution),
        }
        # One statement, committed before this returns (a killed worker leaves its params behind);
        # it writes only to an unfinished trial and returns the trial's id when it did.
        with self._auto.connect() as conn:
            written = conn.execute(self._params_stmt, {"rows": Q.param_json([row])}).scalars().all()
            if not written:
                raise self._refuse(conn, trial_id)
        with self._lock:
            rec = self._owned.get(trial_id)
            if rec is not None:
                rec.set_param(name, float(internal), distribution)

    @contextmanager
    def _unfinished(self, trial_id: int) -> Iterator[tuple[sa.Connection, TrialRecord | None]]:
        """A transaction holding the trial's row (shared): it cannot finish meanwhile."""
        with self._engine.begin() as conn:
            found = conn.execute(self._hold_stmt, {"tid": trial_id}).first()
            if found is None:
                raise self._refuse(conn, trial_id)
            with self._lock:
                rec = self._owned.get(trial_id)
            yield conn, rec

    def set_trial_intermediate_value(
        self,
        trial_id: int,
        step: int,
        values: tuple[float, ...],
        scores: tuple[tuple[float, ...], ...] | None = None,
    ) -> None:
        with self._unfinished(trial_id) as (conn, rec):
            writes.replace_intermediate(conn, trial_id, step, values, scores)
        if rec is not None:
            with self._lock:
                rec.intermediate_values[step] = tuple(values)
                if scores is not None:
                    rec.intermediate_scores[step] = scores

    def _set_attr(self, trial_id: int, key: str, value: Any, *, system: bool) -> None:
        text, copy = json_copy(value, what=f"trial {'system' if system else 'user'} attr {key!r}")
        with self._unfinished(trial_id) as (conn, rec):
            writes.upsert_trial_attr(conn, trial_id, key, text, system=system)
        if rec is not None:
            with self._lock:
                (rec.system_attrs if system else rec.user_attrs)[key] = copy

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._set_attr(trial_id, key, value, system=False)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._set_attr(trial_id, key, value, system=True)

    def set_trial_constraints(self, trial_id: int, constraints: tuple[float, ...]) -> None:
        with self._unfinished(trial_id) as (conn, rec):
            writes.replace_constraints(conn, trial_id, tuple(constraints))
        if rec is not None:
            with self._lock:
                rec.constraints = tuple(constraints)

    def finish_trial(
        self,
        trial_id: int,
        state: TrialState,
        values: tuple[float, ...] | None = None,
        fail_reason: str | None = None,
    ) -> FrozenTrial:
        now = dt.datetime.now()
        vals = tuple(values) if values is not None else None
        args = {
            "tid": trial_id,
            "state": STATE_NAMES[state],
            "now": now,
            "reason": fail_reason,
            "values": json.dumps([{"objective": i, "value": float(v)} for i, v in enumerate(vals or ())]),
        }
        with self._engine.begin() as conn:
            row: Any = conn.execute(self._finish_stmt, args).one()
            done, seq = row[0], row[1]
            if done is None:
                raise self._refuse(conn, trial_id)  # leaving the block rolls the counter back
        with self._lock:
            rec = self._owned.pop(trial_id, None)
            self._beats.pop(trial_id, None)
            if rec is not None:
                rec.state, rec.values, rec.fail_reason = state, vals, fail_reason
                rec.datetime_complete, rec.finish_seq = now, int(seq)
        if rec is None:
            return self.get_trial(trial_id)
        return self._adopt(rec)

    # -- reading ---------------------------------------------------------------------------
    def _cached(self, trial_id: int) -> FrozenTrial | None:
        with self._lock:
            return self._cache.get(trial_id)

    def _remember(self, rec: TrialRecord) -> FrozenTrial:
        with self._lock:
            return self._remember_locked(rec)

    def _remember_all(self, recs: Iterable[TrialRecord]) -> dict[int, FrozenTrial]:
        with self._lock:
            return {rec.trial_id: self._remember_locked(rec) for rec in recs}

    def _remember_locked(self, rec: TrialRecord) -> FrozenTrial:
        if rec.unfinished:
            # This process's own trials: its memory has the params still on their way.
            own = self._owned.get(rec.trial_id)
            return (own or rec).freeze()
        cached = self._cache.get(rec.trial_id)
        if cached is None:  # a finished record read from the database: nobody else holds it
            cached = rec.freeze(share=True)
            self._cache.put(rec.trial_id, cached)
        return cached

    def get_trial(self, trial_id: int) -> FrozenTrial:
        cached = self._cached(trial_id)
        if cached is not None:
            return cached
        with self._auto.connect() as conn:
            found = load_by_ids(conn, [trial_id])
        if not found:
            raise TrialNotFound(f"no trial with id {trial_id}")
        return self._remember(found[trial_id])

    def get_trial_id_from_number(self, study_id: int, number: int) -> int:
        with self._auto.connect() as conn:
            found = conn.execute(
                sa.select(_T.c.trial_id).where(_T.c.study_id == study_id, _T.c.number == number)
            ).scalar()
            if found is not None:
                return int(found)
            n = conn.execute(sa.select(_ST.c.n_trials).where(_ST.c.study_id == study_id)).scalar()
        if n is None:
            raise studies.no_study(study_id)
        raise TrialNotFound(f"no trial number {number} in this study ({n} trials)")

    def _fetch(
        self, conn: sa.Connection, study_id: int, ids: list[int]
    ) -> tuple[dict[int, FrozenTrial], dict[int, TrialRecord]]:
        """Cached snapshots of ``ids`` and records of the rest, read from the database."""
        hits: dict[int, FrozenTrial] = {}
        missing: list[int] = []
        with self._lock:
            for i in ids:
                snap = self._cache.get(i)
                if snap is None:
                    missing.append(i)
                else:
                    hits[i] = snap
        if len(missing) > _BULK_IDS:
            return hits, load_pg_study(conn, study_id)
        return hits, load_by_ids(conn, missing)

    def get_all_trials(
        self, study_id: int, *, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        with self._lock:
            self._cache.keep_all()
        with self._auto.connect() as conn:
            query = sa.select(_T.c.trial_id).where(_T.c.study_id == study_id).order_by(_T.c.number)
            ids = [int(row[0]) for row in driver_rows(conn, query)]
            if not ids:
                studies.require_study(conn, study_id)
            hits, fetched = self._fetch(conn, study_id, ids)
        hits.update(self._remember_all(fetched.values()))
        out: list[FrozenTrial] = []
        for tid in ids:
            snap = hits.get(tid)
            if snap is not None:  # None: deleted meanwhile
                out.append(snap)
        return out if states is None else [t for t in out if t.state in states]

    def get_n_trials(self, study_id: int, *, states: Container[TrialState] | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(_T).where(_T.c.study_id == study_id)
        if states is not None:
            query = query.where(_T.c.state.in_([STATE_NAMES[s] for s in TrialState if s in states]))
        with self._auto.connect() as conn:
            studies.require_study(conn, study_id)
            return int(conn.execute(query).scalar_one())

    def read_trials_since(self, study_id: int, cursor: int) -> TrialsDelta:
        with self._auto.connect() as conn:
            rows = conn.execute(self._since_stmt, {"sid": study_id, "cursor": cursor}).all()
            if not rows:
                raise studies.no_study(study_id)
            found = [(int(tid), seq) for _, tid, seq in rows if tid is not None]
            hits, fetched = self._fetch(conn, study_id, [tid for tid, _ in found])
        finished: list[FrozenTrial] = []
        unfinished: list[FrozenTrial] = []
        for tid, seq in found:
            rec = fetched.get(tid)
            if rec is not None and seq is None and not rec.unfinished:
                continue  # it finished after the first query; the next read returns it as finished
            snap = self._remember(rec) if rec is not None else hits.get(tid)
            if snap is not None:
                (unfinished if seq is None else finished).append(snap)
        # The counter comes from the same statement as the rows: the cursor never skips a trial.
        return TrialsDelta(finished, unfinished, max(cursor, int(rows[0][0])))

    # -- liveness --------------------------------------------------------------------------
    def record_heartbeat(self, trial_id: int) -> None:
        if self.heartbeat_interval is None:
            return
        now = time.monotonic()
        with self._lock:
            last = self._beats.get(trial_id)
            if last is not None and now - last < self.heartbeat_interval / 2:
                return  # just created or claimed: that wrote a heartbeat already
            self._beats[trial_id] = now
        with self._auto.connect() as conn:
            conn.execute(self._beat_stmt, {"tid": trial_id})

    def fail_stale_trials(self, study_id: int) -> list[int]:
        if self.heartbeat_interval is None:
            return []
        now = time.monotonic()
        with self._lock:
            last = self._sweeps.get(study_id)
            if last is not None and now - last < self.heartbeat_interval / 2:
                return []
            self._sweeps[study_id] = now
        return Q.fail_stale(
            self._engine, study_id, grace_period=self.grace_period, requeue=self.requeue_failed
        )

    def close(self) -> None:
        self._engine.dispose()


class _Snapshots:
    """Finished snapshots by trial id, at most ``capacity`` (the oldest stored goes first).

    A worker needs only recent snapshots (its samplers keep arrays), so its memory stays flat
    however big the study grows. A process that asks for every trial of a study (``study.trials``,
    ``trials_dataframe``, the TUI) holds them all anyway and will likely ask again: from then on
    nothing is evicted, and the next such read fetches only trials it has not seen.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity: int | None = capacity
        self._by_id: OrderedDict[int, FrozenTrial] = OrderedDict()

    def get(self, trial_id: int) -> FrozenTrial | None:
        return self._by_id.get(trial_id)

    def put(self, trial_id: int, snap: FrozenTrial) -> None:
        self._by_id[trial_id] = snap
        if self.capacity is not None and len(self._by_id) > self.capacity:
            self._by_id.popitem(last=False)

    def pop(self, trial_id: int) -> None:
        self._by_id.pop(trial_id, None)

    def keep_all(self) -> None:
        self.capacity = None

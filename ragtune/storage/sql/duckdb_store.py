"""The DuckDB backend: one process owns the file, so its memory is the truth and the file a journal.

DuckDB lets one process open a file for writing, so no other writer can change it behind this
process's back: trials are kept in memory (reads never touch the file) and every change that must
survive a crash is written through. A finished trial is written in one transaction; reported steps
are written when reported, with the trial's params and attrs so far; between reports, and before the
first, a running trial's params and attrs stay in memory.
Rows of earlier trials still running are written first, so numbers in the file never have gaps.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Container, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ragtune.core.distributions import AnyDistribution
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trial_state import TrialState
from ragtune.exceptions import TrialNotFound, UpdateFinishedTrialError
from ragtune.log import get_logger
from ragtune.storage.base import StudySummary, TrialsDelta
from ragtune.storage.sql import schema as S
from ragtune.storage.sql import studies, writes
from ragtune.storage.sql.connect import Target
from ragtune.storage.sql.duckdb_loading import load_study
from ragtune.storage.sql.duckdb_sql import DuckDBFile
from ragtune.storage.sql.liveness import requeue_template
from ragtune.storage.sql.records import STATE_NAMES, TrialRecord, dumps, loads, no_gc
from ragtune.storage.sql.study_ops import SQLStudies, locked

_log = get_logger("storage")
_DEAD = "the process running this trial stopped before it finished (found RUNNING when the file was opened)"


@dataclass(slots=True)
class _StudyTrials:
    trial_ids: list[int] = field(default_factory=list)  # by number
    finished: list[int] = field(default_factory=list)  # in finishing order
    unfinished: dict[int, None] = field(default_factory=dict)
    no_row: dict[int, None] = field(default_factory=dict)  # unfinished trials not in the file yet


class DuckDBStore(SQLStudies):
    """Memory-first storage over one DuckDB file; thread-safe through one lock."""

    requeue_failed: bool

    def __init__(self, handle: DuckDBFile, *, requeue_failed: bool) -> None:
        self.heartbeat_interval = None
        self.requeue_failed = requeue_failed
        self.users = 0
        self._db = handle
        self._lock: threading.RLock = handle.lock
        self._studies: dict[int, _StudyTrials] = {}
        self._records: dict[int, TrialRecord] = {}
        self._frozen: dict[int, FrozenTrial] = {}
        self._row_state: dict[int, str] = {}  # unfinished trial -> its state as written in the file
        self._details_written: set[int] = set()  # unfinished trials whose params/attrs are in the file
        with handle.engine.connect() as conn:
            top = conn.execute(sa.select(sa.func.max(S.trials.c.trial_id))).scalar()
        self._next_trial_id = 0 if top is None else int(top) + 1

    @property
    def target(self) -> Target:
        return self._db.target

    @property
    def handle(self) -> DuckDBFile:
        return self._db

    # -- studies (see SQLStudies) ------------------------------------------------------------
    @contextmanager
    def _reading(self) -> Iterator[sa.Connection]:
        yield from locked(self._lock, self._db.engine.connect())

    @contextmanager
    def _writing(self) -> Iterator[sa.Connection]:
        yield from locked(self._lock, self._db.engine.begin())

    def delete_study(self, study_id: int) -> None:
        with self._lock:
            super().delete_study(study_id)
            st = self._studies.pop(study_id, None)
            self._forget(st.trial_ids if st is not None else [])

    def _forget(self, trial_ids: list[int]) -> None:
        with self._lock:
            for tid in trial_ids:
                self._records.pop(tid, None)
                self._frozen.pop(tid, None)
                self._row_state.pop(tid, None)
                self._details_written.discard(tid)

    def get_all_studies(self) -> list[StudySummary]:
        with self._lock:
            return [
                s
                if s.study_id not in self._studies
                else dataclasses.replace(s, n_trials=len(self._studies[s.study_id].trial_ids))
                for s in super().get_all_studies()
            ]

    # -- loading a study once per process ---------------------------------------------------
    def _study(self, study_id: int) -> _StudyTrials:
        st = self._studies.get(study_id)
        if st is None:
            st = self._load(study_id)
        return st

    def _load(self, study_id: int) -> _StudyTrials:
        with self._db.engine.connect() as conn:
            studies.require_study(conn, study_id)
        records = load_study(self._db.raw, study_id)
        st = _StudyTrials()
        for tid, rec in records.items():
            st.trial_ids.append(tid)
            if rec.unfinished:
                st.unfinished[tid] = None
                self._row_state[tid] = STATE_NAMES[rec.state]
                self._details_written.add(tid)
        st.finished = sorted(
            (tid for tid, rec in records.items() if not rec.unfinished),
            key=lambda t: records[t].finish_seq or 0,
        )
        self._records.update(records)
        self._studies[study_id] = st
        self._fail_dead(study_id, st)
        return st

    def _fail_dead(self, study_id: int, st: _StudyTrials) -> None:
        """RUNNING rows at open belong to a process that died: no other process can hold the file."""
        dead = [tid for tid in st.unfinished if self._records[tid].state is TrialState.RUNNING]
        for tid in dead:
            self.finish_trial(tid, TrialState.FAIL, None, _DEAD)
            rec = self._records[tid]
            template = requeue_template(rec) if self.requeue_failed else None
            if template is not None:
                copy = self.create_new_trial(study_id, template)
                _log.warning("trial %d failed: %s; re-queued as trial %d", rec.number, _DEAD, copy.number)
            else:
                _log.warning("trial %d failed: %s", rec.number, _DEAD)

    # -- writing through ---------------------------------------------------------------------
    def _write_missing_rows(self, st: _StudyTrials, below: int) -> list[int]:
        """Insert rows of running trials numbered below ``below``: the file's numbers stay gap-free."""
        todo = [tid for tid in st.no_row if self._records[tid].number < below]
        if todo:
            self._db.insert(S.trials, [writes.trial_row(self._records[t]) for t in todo])
        return todo

    def _rows_written(self, st: _StudyTrials, tids: list[int]) -> None:
        for tid in tids:
            st.no_row.pop(tid, None)
            self._row_state[tid] = STATE_NAMES[self._records[tid].state]

    def create_new_trial(self, study_id: int, template: FrozenTrial | None = None) -> FrozenTrial:
        with self._lock:
            st = self._study(study_id)
            rec = writes.record_from_template(self._next_trial_id, study_id, len(st.trial_ids), template)
            if not rec.unfinished:
                rec.finish_seq = len(st.finished) + 1
            if template is not None:
                # Enqueued and added trials are written at once: they are the user's input.
                rows = writes.child_rows(rec, with_reports=True)
                with self._db.transaction():
                    written = self._write_missing_rows(st, rec.number)
                    self._db.insert(S.trials, [writes.trial_row(rec)])
                    for table, table_rows in rows:
                        self._db.insert(table, table_rows)
                self._rows_written(st, written)
            self._next_trial_id += 1
            self._records[rec.trial_id] = rec
            st.trial_ids.append(rec.trial_id)
            if rec.unfinished:
                st.unfinished[rec.trial_id] = None
                if template is None:
                    st.no_row[rec.trial_id] = None
                else:
                    self._row_state[rec.trial_id] = STATE_NAMES[rec.state]
                    self._details_written.add(rec.trial_id)
                return rec.freeze()
            st.finished.append(rec.trial_id)
            return self._snapshot(rec)

    def claim_waiting_trial(self, study_id: int) -> FrozenTrial | None:
        # The file keeps saying WAITING until the trial reports or finishes: if this process dies
        # first, the next run claims the trial again.
        with self._lock:
            for tid in self._study(study_id).unfinished:
                rec = self._records[tid]
                if rec.state is TrialState.WAITING:
                    rec.state = TrialState.RUNNING
                    rec.datetime_start = dt.datetime.now()
                    return rec.freeze()
            return None

    def _running(self, trial_id: int) -> TrialRecord:
        rec = self._records.get(trial_id)
        if rec is None:
            self._find_study_of(trial_id)
            rec = self._records.get(trial_id)
            if rec is None:
                raise TrialNotFound(f"no trial with id {trial_id}")
        if not rec.unfinished:
            raise UpdateFinishedTrialError(
                f"trial {rec.number} is already {rec.state.name} and cannot be changed"
            )
        return rec

    def _find_study_of(self, trial_id: int) -> None:
        """Load the study holding ``trial_id`` when this process has not read it yet."""
        with self._db.engine.connect() as conn:
            sid = conn.execute(sa.select(S.trials.c.study_id).where(S.trials.c.trial_id == trial_id)).scalar()
        if sid is not None and int(sid) not in self._studies:
            self._load(int(sid))

    def set_trial_param(
        self, trial_id: int, name: str, internal: float, distribution: AnyDistribution
    ) -> None:
        with self._lock:
            self._running(trial_id).set_param(name, float(internal), distribution)

    def set_trial_intermediate_value(
        self,
        trial_id: int,
        step: int,
        values: tuple[float, ...],
        scores: tuple[tuple[float, ...], ...] | None = None,
    ) -> None:
        with self._lock:
            rec = self._running(trial_id)
            st = self._studies[rec.study_id]
            inter, per_question = writes.intermediate_rows(trial_id, step, values, scores)
            with self._db.transaction():
                written = self._write_missing_rows(st, rec.number + 1)
                if self._row_state.get(trial_id, STATE_NAMES[rec.state]) != STATE_NAMES[rec.state]:
                    self._db.update_trial(
                        trial_id, {"state": STATE_NAMES[rec.state], "datetime_start": rec.datetime_start}
                    )
                if step in rec.intermediate_values:
                    self._db.delete_where_trial(S.trial_intermediate_values, trial_id, step=step)
                    if scores is not None:
                        self._db.delete_where_trial(S.trial_question_scores, trial_id, step=step)
                self._db.insert(S.trial_intermediate_values, inter)
                self._db.insert(S.trial_question_scores, per_question)
                # The params (and attrs) go with the first report, so a crash after it leaves a FAIL
                # trial whose re-queued copy replays the same config.
                if trial_id in self._details_written:
                    for table in _DETAIL_TABLES:
                        self._db.delete_where_trial(table, trial_id)
                for table, table_rows in writes.child_rows(rec, with_reports=False):
                    self._db.insert(table, table_rows)
            self._rows_written(st, written)
            self._row_state[trial_id] = STATE_NAMES[rec.state]
            self._details_written.add(trial_id)
            rec.intermediate_values[step] = tuple(values)
            if scores is not None:
                rec.intermediate_scores[step] = scores

    def _set_attr(self, trial_id: int, key: str, value: Any, *, system: bool) -> None:
        text = dumps(value, what=f"trial {'system' if system else 'user'} attr {key!r}")
        with self._lock:
            rec = self._running(trial_id)
            (rec.system_attrs if system else rec.user_attrs)[key] = loads(text)

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._set_attr(trial_id, key, value, system=False)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._set_attr(trial_id, key, value, system=True)

    def set_trial_constraints(self, trial_id: int, constraints: tuple[float, ...]) -> None:
        with self._lock:
            self._running(trial_id).constraints = tuple(constraints)

    def finish_trial(
        self,
        trial_id: int,
        state: TrialState,
        values: tuple[float, ...] | None = None,
        fail_reason: str | None = None,
    ) -> FrozenTrial:
        with self._lock:
            rec = self._running(trial_id)
            st = self._studies[rec.study_id]
            done = dataclasses.replace(
                rec,
                state=state,
                fail_reason=fail_reason,
                values=tuple(values) if values is not None else None,
                datetime_complete=dt.datetime.now(),
                finish_seq=len(st.finished) + 1,
            )
            rows = writes.child_rows(done, with_reports=False)
            with self._db.transaction():
                written = self._write_missing_rows(st, rec.number)
                if trial_id in st.no_row:
                    self._db.insert(S.trials, [writes.trial_row(done)])
                else:
                    row = writes.trial_row(done)
                    self._db.update_trial(trial_id, {k: row[k] for k in _FINISH_COLUMNS})
                    if trial_id in self._details_written:
                        for table in _DETAIL_TABLES:
                            self._db.delete_where_trial(table, trial_id)
                for table, table_rows in rows:
                    self._db.insert(table, table_rows)
            self._rows_written(st, written)
            self._records[trial_id] = done
            del st.unfinished[trial_id]
            st.no_row.pop(trial_id, None)
            self._row_state.pop(trial_id, None)
            self._details_written.discard(trial_id)
            st.finished.append(trial_id)
            return self._snapshot(done)

    # -- reading (from memory) ---------------------------------------------------------------
    def _snapshot(self, rec: TrialRecord) -> FrozenTrial:
        if rec.unfinished:
            return rec.freeze()
        cached = self._frozen.get(rec.trial_id)
        if cached is None:
            cached = self._frozen[rec.trial_id] = rec.freeze(share=True)
        return cached

    def get_trial(self, trial_id: int) -> FrozenTrial:
        with self._lock:
            if trial_id not in self._records:
                self._find_study_of(trial_id)
            rec = self._records.get(trial_id)
            if rec is None:
                raise TrialNotFound(f"no trial with id {trial_id}")
            return self._snapshot(rec)

    def get_trial_id_from_number(self, study_id: int, number: int) -> int:
        with self._lock:
            ids = self._study(study_id).trial_ids
            if not 0 <= number < len(ids):
                raise TrialNotFound(f"no trial number {number} in this study ({len(ids)} trials)")
            return ids[number]

    def get_all_trials(
        self, study_id: int, *, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        with self._lock, no_gc():
            out = [self._snapshot(self._records[tid]) for tid in self._study(study_id).trial_ids]
        return out if states is None else [t for t in out if t.state in states]

    def get_n_trials(self, study_id: int, *, states: Container[TrialState] | None = None) -> int:
        with self._lock:
            st = self._study(study_id)
            if states is None:
                return len(st.trial_ids)
            return sum(1 for tid in st.trial_ids if self._records[tid].state in states)

    def read_trials_since(self, study_id: int, cursor: int) -> TrialsDelta:
        with self._lock:
            st = self._study(study_id)
            with no_gc():
                finished = [self._snapshot(self._records[tid]) for tid in st.finished[cursor:]]
            unfinished = [self._records[tid].freeze() for tid in st.unfinished]
            return TrialsDelta(finished, unfinished, len(st.finished))

    def close(self) -> None:
        """Store the studies' counters (for people reading the file with SQL)."""
        with self._lock:
            if not self._studies:
                return
            with self._db.transaction():
                for sid, st in self._studies.items():
                    self._db.execute(
                        "UPDATE studies SET n_trials = ?, n_finished = ? WHERE study_id = ?",
                        [len(st.trial_ids) - len(st.no_row), len(st.finished), sid],
                    )


_FINISH_COLUMNS = ("state", "datetime_start", "datetime_complete", "fail_reason", "finish_seq")
_DETAIL_TABLES = (S.trial_params, S.trial_user_attrs, S.trial_system_attrs, S.trial_constraints)

"""The DuckDB backend: the shared bookkeeping in memory, each change written through to the file.

DuckDB lets one process open a file for writing, so no other writer can change it behind this
process's back: trials are kept in memory by :class:`~ragtune.storage.bookkeeping.TrialBook` (reads
never touch the file) and every change is stored before the call returns. A trial's row, params,
attrs and constraints go to the journal next to the file (:class:`~ragtune.storage.sql.duckdb_file.
Journal`, one append each); each report and the finish are DuckDB transactions that also write the
trial's row and details so far. Rows of earlier trials still running are written first, so numbers
in the file never have gaps. Opening the file replays a journal a dead process left, so what any
call returned from is in the file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from ragtune.core.distributions import AnyDistribution
from ragtune.core.trial_state import TrialState
from ragtune.log import get_logger
from ragtune.storage.base import StudySummary
from ragtune.storage.bookkeeping import StudyTrials, TrialBook, requeue_template
from ragtune.storage.records import STATE_NAMES, TrialRecord, distribution_json
from ragtune.storage.sql import schema as S
from ragtune.storage.sql import studies, writes
from ragtune.storage.sql.connect import Target
from ragtune.storage.sql.duckdb_file import JOURNAL_SUFFIX, DuckDBFile, Journal, load_study, replay
from ragtune.storage.sql.studies import SQLStudies, locked

_log = get_logger("storage")
_DEAD = "the process running this trial stopped before it finished (found RUNNING when the file was opened)"
_FINISH_COLUMNS = ("state", "datetime_start", "datetime_complete", "fail_reason", "finish_seq")
_DETAIL_TABLES = (S.trial_params, S.trial_user_attrs, S.trial_system_attrs, S.trial_constraints)


def _iso(when: dt.datetime | None) -> str | None:
    return None if when is None else when.isoformat()


class DuckDBStore(SQLStudies, TrialBook):
    """Memory-first storage over one DuckDB file; thread-safe through the file's lock."""

    requeue_failed: bool

    def __init__(self, handle: DuckDBFile, *, requeue_failed: bool) -> None:
        path = handle.target.path
        self._journal = Journal(path + JOURNAL_SUFFIX) if path is not None else None
        if self._journal is not None:
            replay(handle, self._journal.read())
            self._journal.clear()
        with handle.engine.connect() as conn:
            top = conn.execute(sa.select(sa.func.max(S.trials.c.trial_id))).scalar()
        TrialBook.__init__(self, lock=handle.lock, next_trial_id=0 if top is None else int(top) + 1)
        self.heartbeat_interval = None
        self.requeue_failed = requeue_failed
        self.users = 0
        self._db = handle
        self._claimed: set[int] = set()  # claimed trials the file and journal still hold as WAITING
        self._no_row: set[int] = set()  # running trials with no row in the file yet (journal only)
        self._row_state: dict[int, str] = {}  # unfinished trial -> its state as the file has it
        self._details_written: set[int] = set()  # unfinished trials with params/attrs rows in the file
        self._journaled: set[int] = set()  # unfinished trials with entries in the journal

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
            self._forget_study(study_id)

    def get_all_studies(self) -> list[StudySummary]:
        with self._lock:
            return [
                s
                if s.study_id not in self._by_study
                else dataclasses.replace(s, n_trials=len(self._by_study[s.study_id].trial_ids))
                for s in super().get_all_studies()
            ]

    # -- loading a study once per process ---------------------------------------------------
    def _study_trials(self, study_id: int) -> StudyTrials:
        st = self._by_study.get(study_id)
        return st if st is not None else self._load(study_id)

    def _find(self, trial_id: int) -> TrialRecord | None:
        rec = self._records.get(trial_id)
        if rec is None:  # a study this process has not read yet
            with self._db.engine.connect() as conn:
                sid = conn.execute(
                    sa.select(S.trials.c.study_id).where(S.trials.c.trial_id == trial_id)
                ).scalar()
            if sid is not None and int(sid) not in self._by_study:
                self._load(int(sid))
                rec = self._records.get(trial_id)
        return rec

    def _load(self, study_id: int) -> StudyTrials:
        with self._db.engine.connect() as conn:
            studies.require_study(conn, study_id)
        records = load_study(self._db.raw, study_id)
        st = StudyTrials(trial_ids=list(records))
        st.unfinished = {tid: None for tid, rec in records.items() if rec.unfinished}
        st.finished = sorted(
            (tid for tid, rec in records.items() if not rec.unfinished),
            key=lambda t: records[t].finish_seq or 0,
        )
        self._records.update(records)
        self._by_study[study_id] = st
        for tid in st.unfinished:
            self._row_state[tid] = STATE_NAMES[records[tid].state]
            self._details_written.add(tid)
        self._fail_dead(study_id, st)
        return st

    def _fail_dead(self, study_id: int, st: StudyTrials) -> None:
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
    def _journal_write(self, rec: TrialRecord, entry: list[Any]) -> None:
        if self._journal is None:  # an in-memory database: nothing outlives the process anyway
            return
        if rec.trial_id in self._claimed:  # a claim is stored with the trial's first write
            self._journal.add(["c", rec.trial_id, _iso(rec.datetime_start)])
            self._claimed.discard(rec.trial_id)
        self._journal.add(entry)
        self._journaled.add(rec.trial_id)

    def _write_missing_rows(self, below: int, study_id: int) -> list[int]:
        """Insert rows of running trials numbered below ``below``: the file's numbers stay gap-free."""
        todo = [
            t
            for t in self._no_row
            if self._records[t].study_id == study_id and self._records[t].number < below
        ]
        if todo:
            self._db.insert(S.trials, [writes.trial_row(self._records[t]) for t in todo])
        return todo

    def _rows_written(self, tids: list[int]) -> None:
        for tid in tids:
            self._no_row.discard(tid)
            self._row_state[tid] = STATE_NAMES[self._records[tid].state]

    def _write_new(self, rec: TrialRecord) -> None:
        plain = rec.state is TrialState.RUNNING and not (
            rec.params or rec.user_attrs or rec.system_attrs or rec.intermediate_values or rec.constraints
        )
        if plain:
            self._journal_write(rec, ["t", rec.trial_id, rec.study_id, rec.number, _iso(rec.datetime_start)])
            self._no_row.add(rec.trial_id)
            return
        # Enqueued and added trials are written at once: they are the user's input.
        rows = writes.child_rows(rec, with_reports=True)
        with self._db.transaction():
            written = self._write_missing_rows(rec.number, rec.study_id)
            self._db.insert(S.trials, [writes.trial_row(rec)])
            for table, table_rows in rows:
                self._db.insert(table, table_rows)
        self._rows_written(written)
        if rec.unfinished:
            self._row_state[rec.trial_id] = STATE_NAMES[rec.state]
            self._details_written.add(rec.trial_id)

    def _write_claim(self, rec: TrialRecord, start: dt.datetime) -> None:
        # The file says WAITING until the trial's first write: a run that dies before it leaves
        # the trial to be claimed again.
        self._claimed.add(rec.trial_id)

    def _write_param(
        self, rec: TrialRecord, name: str, internal: float, dist: AnyDistribution, external: Any
    ) -> None:
        self._journal_write(rec, ["p", rec.trial_id, name, internal, distribution_json(dist)])

    def _write_attr(self, rec: TrialRecord, key: str, text: str, *, system: bool) -> None:
        self._journal_write(rec, ["a", rec.trial_id, key, text, system])

    def _write_constraints(self, rec: TrialRecord, constraints: tuple[float, ...]) -> None:
        self._journal_write(rec, ["k", rec.trial_id, list(constraints)])

    def _write_details(self, rec: TrialRecord) -> None:
        """The trial's params, attrs, constraints and values as ``rec`` holds them (rows replaced)."""
        if rec.trial_id in self._details_written:
            for table in _DETAIL_TABLES:
                self._db.delete_where_trial(table, rec.trial_id)
        for table, table_rows in writes.child_rows(rec, with_reports=False):
            self._db.insert(table, table_rows)

    def _write_report(
        self,
        rec: TrialRecord,
        step: int,
        values: tuple[float, ...],
        scores: tuple[tuple[float, ...], ...] | None,
    ) -> None:
        tid = rec.trial_id
        inter, per_question = writes.intermediate_rows(tid, step, values, scores)
        running = STATE_NAMES[TrialState.RUNNING]
        with self._db.transaction():
            written = self._write_missing_rows(rec.number + 1, rec.study_id)
            if tid not in written and self._row_state.get(tid) != running:
                self._db.update_trial(tid, {"state": running, "datetime_start": rec.datetime_start})
            if step in rec.intermediate_values:
                self._db.delete_where_trial(S.trial_intermediate_values, tid, step=step)
                self._db.delete_where_trial(S.trial_question_scores, tid, step=step)
            self._db.insert(S.trial_intermediate_values, inter)
            self._db.insert(S.trial_question_scores, per_question)
            # The params and attrs so far go with each report: a crash after it leaves a FAIL trial
            # whose re-queued copy replays the same config, whatever the journal holds.
            self._write_details(rec)
        self._rows_written(written)
        self._row_state[tid] = running
        self._details_written.add(tid)
        self._claimed.discard(tid)

    def _write_finish(self, done: TrialRecord) -> None:
        tid = done.trial_id
        row = writes.trial_row(done)
        with self._db.transaction():
            written = self._write_missing_rows(done.number, done.study_id)
            if tid in self._no_row:
                self._db.insert(S.trials, [row])
            else:
                self._db.update_trial(tid, {k: row[k] for k in _FINISH_COLUMNS})
            self._write_details(done)
        self._rows_written(written)
        self._no_row.discard(tid)
        self._row_state.pop(tid, None)
        self._details_written.discard(tid)
        self._claimed.discard(tid)
        self._journaled.discard(tid)
        if not self._journaled and self._journal is not None:
            self._journal.clear()  # everything in it is in the file now

    def close(self) -> None:
        """Store the studies' counters (for people reading the file with SQL); a journal still
        holding running trials' writes stays for the next open to replay."""
        with self._lock:
            if self._journal is not None:
                self._journal.close()
                if not self._journaled:
                    os.remove(self._journal.path)
            if not self._by_study:
                return
            with self._db.transaction():
                for sid, st in self._by_study.items():
                    self._db.execute(
                        "UPDATE studies SET n_trials = ?, n_finished = ? WHERE study_id = ?",
                        [len(st.trial_ids), len(st.finished), sid],
                    )

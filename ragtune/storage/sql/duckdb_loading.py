"""Loading a whole study from a DuckDB file: one query per table, vectors grouped by DuckDB.

A study is read once per process, when it is first used, so this is what opening a big study costs.
DuckDB groups the vectors (values and constraints per trial, reports per step) into lists itself,
so Python builds one tuple per trial or step instead of handling every cell, and attribute JSON is
parsed in one call for all rows. Params, the biggest table, come back as numpy columns: each
distinct (name, distribution) pair is sent once and numbered, and trials that suggested the same
params in the same order are decoded together, a column at a time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ragtune.storage.records import no_gc
from ragtune.storage.sql import schema as S
from ragtune.storage.sql.loading import Records, record_from_row
from ragtune.storage.sql.param_blocks import fill_params

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

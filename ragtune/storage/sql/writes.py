"""Rows a trial's details become, and the writes both backends share."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from ragtune.core.trial_state import TrialState
from ragtune.storage.records import STATE_NAMES, TrialRecord, distribution_json, dumps
from ragtune.storage.sql import schema as S

_T, _ST = S.trials, S.studies

#: The database server's clock in seconds since the epoch; heartbeats use it on both sides.
SERVER_EPOCH = sa.cast(sa.extract("epoch", sa.func.now()), sa.Double)


def trial_row(rec: TrialRecord, *, heartbeat: bool = False) -> dict[str, Any]:
    row: dict[str, Any] = {
        "trial_id": rec.trial_id,
        "study_id": rec.study_id,
        "number": rec.number,
        "state": STATE_NAMES[rec.state],
        "datetime_start": rec.datetime_start,
        "datetime_complete": rec.datetime_complete,
        "fail_reason": rec.fail_reason,
        "heartbeat": None,
        "finish_seq": rec.finish_seq,
    }
    if heartbeat:
        row["heartbeat"] = SERVER_EPOCH
    return row


def param_rows(rec: TrialRecord) -> list[dict[str, Any]]:
    return [
        {
            "trial_id": rec.trial_id,
            "name": name,
            "value": rec.internals[name],
            "value_json": dumps(rec.params[name], what=f"param {name!r}"),
            "distribution": distribution_json(dist),
        }
        for name, dist in rec.distributions.items()
    ]


def attr_rows(trial_id: int, attrs: dict[str, Any], *, what: str) -> list[dict[str, Any]]:
    return [
        {"trial_id": trial_id, "key": k, "value_json": dumps(v, what=f"{what} {k!r}")}
        for k, v in attrs.items()
    ]


def vector_rows(trial_id: int, key: str, values: tuple[float, ...] | None) -> list[dict[str, Any]]:
    return [{"trial_id": trial_id, key: i, "value": float(v)} for i, v in enumerate(values or ())]


def intermediate_rows(
    trial_id: int, step: int, values: tuple[float, ...], scores: tuple[tuple[float, ...], ...] | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    inter = [
        {"trial_id": trial_id, "step": step, "objective": j, "value": float(v)} for j, v in enumerate(values)
    ]
    per_question = [
        {"trial_id": trial_id, "step": step, "question": q, "objective": j, "value": float(v)}
        for q, row in enumerate(scores or ())
        for j, v in enumerate(row)
    ]
    return inter, per_question


def child_rows(rec: TrialRecord, *, with_reports: bool) -> list[tuple[sa.Table, list[dict[str, Any]]]]:
    """All detail rows of ``rec``; reported steps only with ``with_reports`` (they are written early)."""
    out: list[tuple[sa.Table, list[dict[str, Any]]]] = [
        (S.trial_params, param_rows(rec)),
        (S.trial_user_attrs, attr_rows(rec.trial_id, rec.user_attrs, what="trial user attr")),
        (S.trial_system_attrs, attr_rows(rec.trial_id, rec.system_attrs, what="trial system attr")),
        (S.trial_constraints, vector_rows(rec.trial_id, "idx", rec.constraints)),
        (S.trial_values, vector_rows(rec.trial_id, "objective", rec.values if not rec.unfinished else None)),
    ]
    if with_reports:
        for step, values in rec.intermediate_values.items():
            inter, per_question = intermediate_rows(
                rec.trial_id, step, values, rec.intermediate_scores.get(step)
            )
            out += [(S.trial_intermediate_values, inter), (S.trial_question_scores, per_question)]
    return [(table, rows) for table, rows in out if rows]


# -- PostgreSQL statements (several processes: counters and row locks) --------------------------
def insert_new_trial(conn: sa.Connection, rec: TrialRecord) -> None:
    """Number ``rec`` from the study's counter and insert it with its details, in ``conn``'s transaction."""
    finished = not rec.unfinished
    counters = conn.execute(
        _ST.update()
        .where(_ST.c.study_id == rec.study_id)
        .values(n_trials=_ST.c.n_trials + 1, n_finished=_ST.c.n_finished + (1 if finished else 0))
        .returning(_ST.c.n_trials, _ST.c.n_finished)
    ).first()
    if counters is None:
        from ragtune.storage.sql.studies import no_study

        raise no_study(rec.study_id)
    rec.number = int(counters[0]) - 1
    rec.finish_seq = int(counters[1]) if finished else None
    row = trial_row(rec, heartbeat=rec.state is TrialState.RUNNING)
    row["trial_id"] = sa.func.nextval("trials_trial_id_seq")
    rec.trial_id = int(conn.execute(_T.insert().values(row).returning(_T.c.trial_id)).scalar_one())
    for table, rows in child_rows(rec, with_reports=True):
        conn.execute(table.insert(), rows)


def replace_intermediate(
    conn: sa.Connection,
    trial_id: int,
    step: int,
    values: tuple[float, ...],
    scores: tuple[tuple[float, ...], ...] | None,
) -> None:
    inter, per_question = intermediate_rows(trial_id, step, values, scores)
    for table, rows in ((S.trial_intermediate_values, inter), (S.trial_question_scores, per_question)):
        if table is S.trial_intermediate_values or scores is not None:
            conn.execute(table.delete().where(table.c.trial_id == trial_id, table.c.step == step))
        if rows:
            conn.execute(table.insert(), rows)


def upsert_trial_attr(conn: sa.Connection, trial_id: int, key: str, text: str, *, system: bool) -> None:
    table = S.trial_system_attrs if system else S.trial_user_attrs
    stmt = pg_insert(table).values(trial_id=trial_id, key=key, value_json=text)
    conn.execute(stmt.on_conflict_do_update(index_elements=["trial_id", "key"], set_={"value_json": text}))


def replace_constraints(conn: sa.Connection, trial_id: int, constraints: tuple[float, ...]) -> None:
    table = S.trial_constraints
    conn.execute(table.delete().where(table.c.trial_id == trial_id))
    conn.execute(table.insert(), vector_rows(trial_id, "idx", constraints))


def insert_values(conn: sa.Connection, trial_id: int, values: tuple[float, ...] | None) -> None:
    if values:
        conn.execute(S.trial_values.insert(), vector_rows(trial_id, "objective", values))

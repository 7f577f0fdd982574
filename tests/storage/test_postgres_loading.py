"""A whole PostgreSQL study read in bulk (params packed by the server) equals the row-by-row read."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

import ragtune
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trial_state import TrialState
from ragtune.samplers import RandomSampler
from ragtune.storage import SQLStorage
from ragtune.storage.sql import postgres, reads
from ragtune.storage.sql import schema as S
from ragtune.testing.storage_contract import INT


def _objective(trial: ragtune.Trial) -> float:
    size = trial.suggest_int("chunk_size", 128, 1024, step=64)
    if size > 512:
        overlap = trial.suggest_int("overlap", 64, 128)
        kind = trial.suggest_categorical("retriever", ["bm25", "dense", None])
    else:
        kind = trial.suggest_categorical("retriever", ["bm25", "dense", None])
        overlap = trial.suggest_int("overlap", 16, 48, step=4)
    if kind == "dense":
        trial.suggest_float("temperature", 0.01, 1.0, log=True)
    trial.set_user_attr("metrics", {"ndcg": size / 1024})
    if trial.number % 7 == 3:
        raise ValueError("a failed trial keeps its params")
    return size + overlap


def _study(url: str) -> tuple[SQLStorage, int]:
    storage = SQLStorage(url)
    name = f"bulk-{uuid.uuid4().hex[:8]}"
    study = ragtune.create_study(
        storage=storage, study_name=name, sampler=RandomSampler(seed=5), directions=["maximize"]
    )
    study.optimize(_objective, n_trials=40, catch=ValueError)
    running = study.ask()  # unfinished, with params: it will be written again
    running.suggest_int("chunk_size", 128, 1024, step=64)
    running.report(1.0, 1)  # writes its pending params
    study.enqueue_trial({"chunk_size": 256})
    sid = storage.get_study_id_from_name(name)
    storage.create_new_trial(
        sid, FrozenTrial(number=-1, state=TrialState.WAITING, params={"k": 64}, distributions={"k": INT})
    )
    return storage, sid


def _same(a: Any, b: Any) -> None:
    fa, fb = a.freeze(), b.freeze()
    assert (fa.trial_id, fa.number, fa.state, fa.values, fa.constraints) == (
        fb.trial_id,
        fb.number,
        fb.state,
        fb.values,
        fb.constraints,
    )
    assert dict(fa.params) == dict(fb.params)
    assert all(type(fa.params[k]) is type(fb.params[k]) for k in fb.params)
    assert dict(fa.distributions) == dict(fb.distributions)
    assert dict(fa.user_attrs) == dict(fb.user_attrs)
    if a.unfinished:
        assert a.internals == b.internals


def _all_same(bulk: reads.Records, rows: reads.Records) -> None:
    for tid, rec in rows.items():
        _same(bulk[tid], rec)


def _both_reads(url: str) -> tuple[reads.Records, reads.Records]:
    """The test study read row by row and in bulk (then deleted)."""
    storage, sid = _study(url)
    try:
        with storage._b._auto.connect() as conn:
            return reads.load_records(conn, S.trials.c.study_id == sid), reads.load_pg_study(conn, sid)
    finally:
        storage.delete_study(sid)
        storage.close()


@pytest.mark.postgres
def test_bulk_read_equals_the_row_read(postgres_url: str) -> None:
    rows, bulk = _both_reads(postgres_url)
    paths = {tuple(r.distributions.items()) for r in rows.values() if r.distributions}
    assert len(paths) >= 4 and len(bulk) == len(rows) == 43
    assert {r.state for r in rows.values()} >= {TrialState.COMPLETE, TrialState.FAIL, TrialState.WAITING}
    _all_same(bulk, rows)


@pytest.mark.postgres
def test_hash_collisions_fall_back_to_the_row_read(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("_CELLS", "_KINDS"):  # every pair gets the same key
        monkeypatch.setattr(reads, name, getattr(reads, name).replace(reads._KEY, "0::int8"))
    fallbacks: list[bool] = []
    real = reads.load_records

    def row_read(conn: Any, where: Any, *, params: bool = True) -> reads.Records:
        fallbacks.append(params)
        return real(conn, where, params=params)

    monkeypatch.setattr(reads, "load_records", row_read)
    rows, bulk = _both_reads(postgres_url)
    # The reference row read, then the bulk read's records without params and its whole-row fallback.
    assert fallbacks == [True, False, True]
    _all_same(bulk, rows)


@pytest.mark.postgres
def test_a_server_without_the_hash_function_gets_the_row_read(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL before 11 has no hashtextextended: the read falls back, the connection stays usable."""
    for name in ("_CELLS", "_KINDS"):
        monkeypatch.setattr(
            reads,
            name,
            getattr(reads, name).replace("hashtextextended", "ragtune_no_such_function"),
        )
    rows, bulk = _both_reads(postgres_url)
    assert len(bulk) == len(rows) == 43
    _all_same(bulk, rows)


@pytest.mark.postgres
def test_study_trials_use_the_bulk_read_and_keep_what_they_read(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage, sid = _study(postgres_url)
    name = storage.get_study_name_from_id(sid)
    expected = {t.number: (t.state, dict(t.params)) for t in storage.get_all_trials(sid)}
    storage.close()
    monkeypatch.setattr(postgres, "_BULK_IDS", 5)
    calls: list[int] = []
    real = reads.load_pg_study
    monkeypatch.setattr(postgres, "load_pg_study", lambda conn, s: calls.append(s) or real(conn, s))
    fresh = SQLStorage(postgres_url)
    try:
        study = ragtune.load_study(study_name=name, storage=fresh)
        assert {t.number: (t.state, dict(t.params)) for t in study.trials} == expected
        assert calls == [sid]
        assert fresh._b._cache.capacity is None  # a reader of whole studies keeps them
        study.trials_dataframe()
        assert calls == [sid]  # the second read found everything finished in memory
    finally:
        fresh.delete_study(sid)
        fresh.close()

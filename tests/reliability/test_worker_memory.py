"""A PostgreSQL worker's memory does not grow with the study: it keeps arrays, and a bounded
number of trial snapshots (older ones are read back from the database when asked for)."""

from __future__ import annotations

import gc
import tracemalloc
import uuid

import pytest

import ragtune as rt
from ragtune.core import trials_view
from ragtune.samplers import RandomSampler
from ragtune.storage import SQLStorage


def _objective(trial: rt.Trial) -> float:
    x = trial.suggest_float("x", -5.0, 5.0)
    y = trial.suggest_int("y", 0, 100)
    kind = trial.suggest_categorical("kind", ["bm25", "dense", "hybrid"])
    return x * x + y / 100.0 + (0.5 if kind == "dense" else 0.0)


@pytest.mark.postgres
def test_snapshots_are_bounded_and_every_trial_still_reads_back(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(trials_view, "WINDOW", 3)
    storage = SQLStorage(postgres_url)
    storage._b._cache.capacity = 5
    name = f"bounded-{uuid.uuid4().hex[:8]}"
    study = rt.create_study(study_name=name, storage=storage, sampler=RandomSampler(seed=8))
    seen: dict[int, dict[str, object]] = {}
    study.optimize(
        _objective, n_trials=40, callbacks=[lambda _, t: seen.setdefault(t.number, dict(t.params))]
    )
    try:
        assert len(storage._b._cache._by_id) <= 5
        assert len(study._builder._window) <= 2 * 3 + 1
        view = study.trials_view()
        assert [dict(t.params) for t in view.trials] == [seen[n] for n in range(40)]  # rows 0-32 re-read
        assert {t.number: dict(t.params) for t in study.trials} == seen
    finally:
        rt.delete_study(study_name=name, storage=storage)
        storage.close()


@pytest.mark.slow  # 1,000 trials with a synchronous commit per param: ~45 s
@pytest.mark.postgres
def test_a_worker_does_not_grow_with_the_study(postgres_url: str) -> None:
    """Python memory between trial 600 and trial 1,000: before bounded snapshots a worker kept
    about 1,150 bytes per trial (snapshot, params and distributions dicts, a cache entry)."""
    storage = SQLStorage(postgres_url)
    name = f"memory-{uuid.uuid4().hex[:8]}"
    study = rt.create_study(study_name=name, storage=storage, sampler=RandomSampler(seed=9))
    tracemalloc.start()
    try:
        study.optimize(_objective, n_trials=600)
        gc.collect()
        at_600 = tracemalloc.get_traced_memory()[0]
        study.optimize(_objective, n_trials=400)
        gc.collect()
        per_trial = (tracemalloc.get_traced_memory()[0] - at_600) / 400
    finally:
        tracemalloc.stop()
        rt.delete_study(study_name=name, storage=storage)
        storage.close()
    assert per_trial < 150, f"{per_trial:.0f} bytes per trial"

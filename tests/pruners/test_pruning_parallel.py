"""Pruning with several workers on one storage: decisions see the other workers' reports.

The storage is a fixture parameter (in-memory here; DuckDB and PostgreSQL run where available), so
the same test covers shared database storage.
"""

from __future__ import annotations

import threading

import pytest

import ragtune as rt
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trials_view import TrialsView
from ragtune.pruners import ParetoPruner, Pruner, SuccessiveHalvingPruner
from ragtune.storage import Storage


class _Spy(Pruner):
    """Records how many other running trials with reports each decision saw."""

    def __init__(self, inner: Pruner) -> None:
        self.inner = inner
        self.seen_running: list[int] = []
        self._lock = threading.Lock()

    def prune(self, view: TrialsView, trial: FrozenTrial) -> bool:
        n = sum(
            1
            for t in view.trials
            if t.state is rt.TrialState.RUNNING and t.number != trial.number and t.intermediate_values
        )
        with self._lock:
            self.seen_running.append(n)
        return self.inner.prune(view, trial)


def _run(storage: Storage, pruner: _Spy, directions: list[str], vectors: dict[int, list[float]]) -> rt.Study:
    study = rt.create_study(
        directions=directions, storage=storage, pruner=pruner, sampler=rt.samplers.RandomSampler(seed=0)
    )
    reported = threading.Barrier(4, timeout=20)
    decided = threading.Barrier(4, timeout=20)

    def objective(trial: rt.Trial) -> list[float]:
        trial.suggest_float("x", 0.0, 1.0)
        vector = vectors[trial.number]
        # Ten per-question score rows around the vector (the Pareto pruner's bounds need them).
        rows = [[v + (0.01 if q % 2 else -0.01) for v in vector] for q in range(10)]
        trial.report(vector, 10, scores=rows)
        reported.wait()  # every worker has reported before anyone decides
        prune = trial.should_prune()
        decided.wait()  # nobody finishes before all decided: the others are still RUNNING
        if prune:
            raise rt.TrialPruned()
        return vector

    study.optimize(objective, n_trials=4, n_jobs=4)
    return study


def test_asha_ranks_against_running_trials_of_other_workers(storage: Storage) -> None:
    # At rung 10 with 4 trials and eta = 4, only the best continues: that needs the 3 others' reports.
    spy = _Spy(SuccessiveHalvingPruner(min_resource=10, reduction_factor=4))
    study = _run(storage, spy, ["minimize"], {0: [0.3], 1: [0.1], 2: [0.4], 3: [0.2]})
    states = {t.number: t.state for t in study.trials}
    assert states == {
        0: rt.TrialState.PRUNED,
        1: rt.TrialState.COMPLETE,
        2: rt.TrialState.PRUNED,
        3: rt.TrialState.PRUNED,
    }
    assert spy.seen_running == [3, 3, 3, 3]
    # Pruned trials keep their reports.
    assert study.trials[2].intermediate_values == {10: 0.4}


def test_pareto_pruner_compares_with_running_trials_of_other_workers(storage: Storage) -> None:
    spy = _Spy(ParetoPruner(n_startup_trials=0, min_trials_at_rung=3))
    vectors = {0: [1.0, 1.0], 1: [2.0, 2.0], 2: [0.5, 3.0], 3: [3.0, 0.5]}  # only 1 is dominated (by 0)
    study = _run(storage, spy, ["minimize", "minimize"], vectors)
    assert [t.state for t in study.trials] == [
        rt.TrialState.COMPLETE,
        rt.TrialState.PRUNED,
        rt.TrialState.COMPLETE,
        rt.TrialState.COMPLETE,
    ]
    assert spy.seen_running == [3, 3, 3, 3]


@pytest.mark.parametrize("n_jobs", [1, 4])
def test_many_workers_many_trials_stay_consistent(storage: Storage, n_jobs: int) -> None:
    # No barrier: a smoke run where the cache sees views of different ages from different threads.
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    study = rt.create_study(storage=storage, pruner=pruner, sampler=rt.samplers.RandomSampler(seed=1))

    def objective(trial: rt.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        for step in range(1, 28):
            trial.report(x + 1.0 / step, step)
            if trial.should_prune():
                raise rt.TrialPruned()
        return x

    study.optimize(objective, n_trials=60, n_jobs=n_jobs)
    states = [t.state for t in study.trials]
    assert states.count(rt.TrialState.PRUNED) > 20
    assert rt.TrialState.FAIL not in states
    best = study.best_trial
    assert best.value is not None and best.value < 0.2

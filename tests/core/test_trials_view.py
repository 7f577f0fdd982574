"""The trials view keeps arrays and a window of snapshots; older rows are read back from the storage."""

from __future__ import annotations

import pytest

import ragtune as rt
from ragtune.core import trials_view
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trials_view import TrialsViewBuilder
from ragtune.pruners import MedianPruner
from ragtune.samplers import RandomSampler, TPESampler


def test_old_rows_come_back_from_the_storage_and_the_window_stays_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(trials_view, "WINDOW", 4)
    study = rt.create_study(sampler=RandomSampler(seed=3))
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=40)
    done = study.trials
    fetched: list[int] = []

    def fetch(trial_id: int) -> FrozenTrial:
        fetched.append(trial_id)
        return study.storage.get_trial(trial_id)

    builder = TrialsViewBuilder(study.directions, fetch)
    for start in range(0, 40, 3):  # one delta per ask, three trials each
        view = builder.build(done[start : start + 3], [], start + 3)
        assert len(builder._window) <= 2 * 4 + 3
    assert fetched == []  # building views never reads the storage
    rows = list(view.trials)
    assert rows == done and [t.params for t in rows] == [t.params for t in done]
    assert sorted(set(fetched)) == [t.trial_id for t in done[: 40 - len(builder._window)]]
    assert view.trials[-1] == done[-1] and view.trials[5:8] == tuple(done[5:8])
    assert view.trial_ids.tolist() == [t.trial_id for t in done]
    with pytest.raises(IndexError):
        view.trials[40]


def test_without_a_storage_every_snapshot_stays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trials_view, "WINDOW", 2)
    study = rt.create_study(sampler=RandomSampler(seed=4))
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=12)
    builder = TrialsViewBuilder(study.directions)
    for t in study.trials:
        view = builder.build([t], [], t.number + 1)
    assert list(view.trials) == study.trials


def _draws(seed: int) -> list[tuple[int, str, dict[str, object]]]:
    """A seeded TPE study with pruning: what each trial drew and how it ended."""

    def objective(trial: rt.Trial) -> float:
        x = trial.suggest_float("x", -3.0, 3.0)
        kind = trial.suggest_categorical("kind", ["bm25", "dense", "hybrid"])
        k = trial.suggest_int("k", 1, 20) if kind != "bm25" else 5
        for step in range(1, 4):
            trial.report(x * x + step * 0.1 + k / 20, step)
            if trial.should_prune():
                raise rt.TrialPruned()
        return x * x + k / 20

    study = rt.create_study(
        sampler=TPESampler(seed=seed, n_startup_trials=5), pruner=MedianPruner(n_startup_trials=3)
    )
    study.optimize(objective, n_trials=60)
    return [(t.number, t.state.name, dict(t.params)) for t in study.trials]


def test_a_seeded_study_draws_the_same_whether_snapshots_are_kept_or_read_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kept = _draws(11)
    monkeypatch.setattr(trials_view, "WINDOW", 1)
    assert _draws(11) == kept
    assert {state for _, state, _ in kept} >= {"COMPLETE", "PRUNED"}

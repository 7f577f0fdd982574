"""Study: create/load/delete, optimize, ask/tell, bad objective values, threads, best trials."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ragtune as rt
from ragtune.exceptions import (
    DirectionError,
    DuplicatedStudyError,
    NoCompletedTrials,
    StudyDirectionsMismatch,
    StudyNotFound,
)
from ragtune.samplers import GridSampler, QMCSampler, RandomSampler
from ragtune.storage import InMemoryStorage


def test_create_load_delete():
    storage = InMemoryStorage()
    study = rt.create_study(study_name="s", storage=storage, directions=["maximize", "minimize"])
    with pytest.raises(DuplicatedStudyError, match="load_if_exists=True"):
        rt.create_study(study_name="s", storage=storage, directions=["maximize", "minimize"])
    again = rt.create_study(
        study_name="s", storage=storage, directions=["maximize", "minimize"], load_if_exists=True
    )
    assert again.directions == study.directions
    with pytest.raises(StudyDirectionsMismatch, match=r"\['maximize', 'minimize'\]"):
        rt.create_study(study_name="s", storage=storage, direction="minimize", load_if_exists=True)
    assert rt.load_study(study_name="s", storage=storage).study_name == "s"
    rt.delete_study(study_name="s", storage=storage)
    with pytest.raises(StudyNotFound, match="no study named 's'"):
        rt.load_study(study_name="s", storage=storage)


@pytest.mark.parametrize("bad", ["maximise", "up", "", 3])
def test_unknown_direction(bad):
    with pytest.raises(DirectionError, match="direction must be 'minimize' or 'maximize'"):
        rt.create_study(direction=bad)


def test_bad_objective_values_fail_the_trial_and_the_study_goes_on():
    outputs = iter([float("nan"), math.inf, (1.0, 2.0), "high", None, 3.0])
    study = rt.create_study(sampler=RandomSampler(seed=0))
    study.optimize(lambda t: next(outputs), n_trials=6)
    states = [t.state for t in study.trials]
    assert states == [rt.TrialState.FAIL] * 5 + [rt.TrialState.COMPLETE]
    reasons = [t.fail_reason for t in study.trials[:5]]
    assert "must be finite, but got nan" in reasons[0]
    assert "must be finite, but got inf" in reasons[1]
    assert "returned 2 values, but the study has 1 directions" in reasons[2]
    assert "must be numbers, but got 'high'" in reasons[3]
    assert "returned None" in reasons[4]
    assert study.best_value == 3.0


def test_wrong_number_of_values_in_multi_objective_study():
    study = rt.create_study(directions=["maximize", "minimize"], sampler=RandomSampler(seed=0))
    study.optimize(lambda t: 1.0, n_trials=1)
    assert study.trials[0].state is rt.TrialState.FAIL
    assert "returned 1 values, but the study has 2 directions" in (study.trials[0].fail_reason or "")


def test_exceptions_fail_the_trial_and_propagate_unless_caught():
    study = rt.create_study(sampler=RandomSampler(seed=0))

    def boom(trial):
        trial.suggest_float("x", 0, 1)
        raise KeyError("missing")

    with pytest.raises(KeyError):
        study.optimize(boom, n_trials=3)
    assert len(study.trials) == 1 and study.trials[0].state is rt.TrialState.FAIL
    study.optimize(boom, n_trials=3, catch=(KeyError,))
    assert len(study.trials) == 4
    assert all("KeyError" in (t.fail_reason or "") for t in study.trials)


def test_pruned_trials_keep_intermediate_values():
    study = rt.create_study(sampler=RandomSampler(seed=0))

    def f(trial):
        trial.report(0.5, 1)
        raise rt.TrialPruned()

    study.optimize(f, n_trials=2)
    assert all(t.state is rt.TrialState.PRUNED for t in study.trials)
    assert study.trials[0].intermediate_values == {1: 0.5}
    with pytest.raises(NoCompletedTrials):
        _ = study.best_trial


def test_threads_give_unique_gap_free_numbers():
    study = rt.create_study(sampler=RandomSampler(seed=3))
    study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=500, n_jobs=2)
    numbers = sorted(t.number for t in study.trials)
    assert numbers == list(range(500))
    assert all(t.state is rt.TrialState.COMPLETE for t in study.trials)


def test_timeout_stops_the_loop():
    study = rt.create_study(sampler=RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), timeout=0.2)
    assert len(study.trials) > 0


def test_ask_tell_and_enqueue():
    study = rt.create_study(directions=["maximize", "minimize"], sampler=RandomSampler(seed=0))
    study.enqueue_trial({"k": 5, "kind": "bm25"})
    trial = study.ask()
    assert trial.suggest_int("k", 1, 20) == 5
    assert trial.suggest_categorical("kind", ["bm25", "dense"]) == "bm25"
    frozen = study.tell(trial, [0.8, 12.0])
    assert frozen.state is rt.TrialState.COMPLETE and frozen.values == (0.8, 12.0)
    other = study.ask()
    other.suggest_int("k", 1, 20)
    study.tell(other.number, [0.7, 20.0])
    assert [t.number for t in study.best_trials] == [0]


def test_best_trials_is_the_feasible_pareto_front():
    study = rt.create_study(directions=["maximize", "minimize"], sampler=RandomSampler(seed=0))
    points = [(0.9, 10.0, 1.0), (0.8, 5.0, -1.0), (0.7, 4.0, -1.0), (0.6, 6.0, -1.0), (0.95, 30.0, -2.0)]
    for quality, latency, constraint in points:
        trial = study.ask()
        trial.set_constraint(constraint)
        study.tell(trial, [quality, latency])
    # trial 0 is infeasible, trial 3 is dominated by trial 1
    assert sorted(t.number for t in study.best_trials) == [1, 2, 4]


def test_best_trial_prefers_feasible():
    study = rt.create_study(direction="minimize", sampler=RandomSampler(seed=0))
    for value, c in [(0.0, 1.0), (2.0, 0.0), (1.0, -1.0)]:
        t = study.ask()
        t.set_constraint([c])
        study.tell(t, value)
    assert study.best_trial.number == 2


def test_callbacks_and_max_trials_callback():
    study = rt.create_study(sampler=RandomSampler(seed=0))
    seen: list[int] = []
    study.optimize(
        lambda t: t.suggest_float("x", 0, 1),
        n_trials=50,
        callbacks=[lambda s, t: seen.append(t.number), rt.MaxTrialsCallback(7)],
    )
    assert seen == list(range(7))


def test_trials_dataframe():
    study = rt.create_study(directions=["maximize", "minimize"], sampler=RandomSampler(seed=0))
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_int("k", 1, 3)), n_trials=5)
    df = study.trials_dataframe()
    assert list(df["number"]) == list(range(5))
    assert {"values_0", "values_1", "params_x", "params_k", "state"} <= set(df.columns)
    assert np.allclose(df["values_0"], df["params_x"])


def _conditional(trial):
    size = trial.suggest_int("chunk_size", 128, 1024, step=64)
    if size > 512:
        overlap = trial.suggest_int("overlap", 64, 128)
    else:
        overlap = trial.suggest_int("overlap", 16, 48)
    kind = trial.suggest_categorical("retriever", ["bm25", "dense"])
    if kind == "bm25":
        k1 = trial.suggest_float("k1", 0.5, 2.0)
    else:
        k1 = trial.suggest_float("temperature", 0.01, 1.0, log=True)
    assert (64 <= overlap <= 128) if size > 512 else (16 <= overlap <= 48)
    return abs(size - 640) / 64 + abs(overlap - 96) / 8 + k1


@pytest.mark.parametrize(
    "make",
    [
        lambda: RandomSampler(seed=1),
        lambda: QMCSampler(seed=1),
        lambda: GridSampler(
            {
                "chunk_size": [256, 512, 640, 1024],
                "overlap": [16, 32, 64, 96, 128],
                "retriever": ["bm25", "dense"],
                "k1": [0.5, 1.2, 2.0],
                "temperature": [0.01, 0.1, 1.0],
            },
            seed=1,
        ),
    ],
)
def test_conditional_space_runs_200_trials(make):
    study = rt.create_study(sampler=make())
    study.optimize(_conditional, n_trials=200)
    done = study.get_trials(states=(rt.TrialState.COMPLETE,))
    assert len(done) == len(study.trials) > 0
    if not isinstance(study.sampler, GridSampler):
        assert len(done) == 200
    sizes = {t.params["chunk_size"] > 512 for t in done}
    assert sizes == {True, False}


def test_view_builder_appends_a_trial_once_when_two_threads_read_the_same_delta() -> None:
    from ragtune.core.trials_view import TrialsViewBuilder

    study = rt.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=3)
    done = study.trials
    builder = TrialsViewBuilder(study.directions)
    # Two threads read from cursor 0: one saw two trials finished, the other (later) all three,
    # and the first one's build comes last, with trial 2 still unfinished in its delta.
    builder.build(done, [], 3)
    view = builder.build(done[:2], [done[2]], 2)
    assert [int(n) for n in view.numbers] == [0, 1, 2] and len(view.trials) == 3
    assert builder.cursor == 3


def test_trials_dataframe_columns_for_params_some_trials_lack():
    def objective(t):
        x = t.suggest_float("x", 0, 1)
        if t.number % 3 == 0:
            t.suggest_categorical("kind", ["a", "b"])
        return x

    study = rt.create_study(sampler=RandomSampler(seed=3))
    study.optimize(objective, n_trials=7)
    df = study.trials_dataframe()
    assert list(df.columns[df.columns.str.startswith("params_")]) == [
        "params_kind",
        "params_x",
    ]  # sorted, as Optuna
    for t in study.trials:
        row = df.loc[df["number"] == t.number].iloc[0]
        assert row["params_x"] == t.params["x"]
        if "kind" in t.params:
            assert row["params_kind"] == t.params["kind"]
        else:
            assert np.isnan(row["params_kind"])


def test_trials_dataframe_with_one_param():
    study = rt.create_study(sampler=RandomSampler(seed=3))
    study.optimize(lambda t: t.suggest_int("k", 1, 9), n_trials=4)
    df = study.trials_dataframe()
    assert list(df["params_k"]) == [t.params["k"] for t in study.trials]

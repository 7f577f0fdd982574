"""Behaviour of TPESampler: optimisation quality, discrete spaces, constraints, parallel asks, MOTPE."""

from __future__ import annotations

import itertools
import math
import threading
import warnings
from typing import Any

import numpy as np
import pytest

import ragtune as rt
from ragtune.core.hypervolume import hypervolume
from ragtune.core.trial import Trial
from ragtune.core.trial_state import TrialState
from ragtune.exceptions import TrialPruned, ValidationError
from ragtune.samplers import RandomSampler
from ragtune.samplers.tpe import TPESampler


def branin(trial: Trial) -> float:
    x = trial.suggest_float("x", -5.0, 10.0)
    y = trial.suggest_float("y", 0.0, 15.0)
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return float(y - b * x * x + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_finds_branin_optimum_region_within_100_trials(seed: int) -> None:
    study = rt.create_study(sampler=TPESampler(seed=seed))
    study.optimize(branin, n_trials=100)
    assert study.best_value < 0.5  # global minimum 0.397887


def test_univariate_mode_optimises_too() -> None:
    study = rt.create_study(sampler=TPESampler(seed=0, multivariate=False))
    study.optimize(branin, n_trials=100)
    assert study.best_value < 1.0


@pytest.mark.parametrize("multivariate", [True, False])
def test_no_duplicates_in_small_categorical_space(multivariate: bool) -> None:
    def objective(trial: Trial) -> float:
        a = trial.suggest_categorical("a", ["p", "q", "r", "s"])
        b = trial.suggest_categorical("b", [1, 2, 3])
        c = trial.suggest_categorical("c", [True, False])
        return float("pqrs".index(a) + b + (0.5 if c else 0.0))

    study = rt.create_study(sampler=TPESampler(seed=3, multivariate=multivariate))
    study.optimize(objective, n_trials=24)
    configs = [tuple(t.params[k] for k in "abc") for t in study.trials]
    assert len(set(configs)) == 24
    study.optimize(objective, n_trials=2)  # exhausted: duplicates are allowed now, no error
    assert len(study.trials) == 26


def test_no_duplicates_in_small_integer_grid() -> None:
    def objective(trial: Trial) -> float:
        return (trial.suggest_int("i", 0, 4) - 2) ** 2 + trial.suggest_float("s", 0.0, 1.0, step=0.25)

    study = rt.create_study(sampler=TPESampler(seed=0))
    study.optimize(objective, n_trials=25)
    configs = {(t.params["i"], t.params["s"]) for t in study.trials}
    assert configs == set(itertools.product(range(5), [0.0, 0.25, 0.5, 0.75, 1.0]))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_constraints_push_trials_into_feasible_region(seed: int) -> None:
    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", -2.0, 2.0)
        y = trial.suggest_float("y", -2.0, 2.0)
        trial.set_constraint([1.0 - x - y])  # feasible iff x + y >= 1
        return x * x + y * y

    def run(constraints: bool) -> rt.Study:
        study = rt.create_study(sampler=TPESampler(seed=seed, constraints=constraints))
        study.optimize(objective, n_trials=100)
        return study

    def late_feasible_share(study: rt.Study) -> float:
        return float(np.mean([t.feasible for t in study.trials[50:]]))

    aware, blind = run(True), run(False)
    # Uniform draws are feasible 4.5 / 16 = 28 % of the time. Ignoring the constraint, TPE chases the
    # infeasible origin; with it, TPE works along the boundary, where the constrained optimum lies.
    assert late_feasible_share(blind) < 0.2
    assert late_feasible_share(aware) > 0.4
    best = aware.best_trial  # the best feasible trial
    assert best.feasible
    assert best.value is not None and best.value < 0.7  # constrained optimum 0.5 at (0.5, 0.5)


def _suggest_xy(trial: Trial) -> list[float]:
    return [trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1)]


def _pending_points(constant_liar: bool, seed: int, *, suggest_at_once: bool) -> np.ndarray:
    study = rt.create_study(sampler=TPESampler(seed=seed, constant_liar=constant_liar))
    study.optimize(
        lambda t: (t.suggest_float("x", 0, 1) - 0.3) ** 2 + (t.suggest_float("y", 0, 1) - 0.6) ** 2,
        n_trials=30,
    )
    if suggest_at_once:  # each worker asks and starts evaluating before the next asks
        return np.array([_suggest_xy(study.ask()) for _ in range(6)])
    asked = [study.ask() for _ in range(6)]  # a batch asked before any evaluation starts
    return np.array([_suggest_xy(t) for t in asked])


@pytest.mark.parametrize("suggest_at_once", [True, False])
def test_constant_liar_spreads_pending_asks(suggest_at_once: bool) -> None:
    spread = {}
    for liar in (True, False):
        dists = []
        for seed in range(4):
            pts = _pending_points(liar, seed, suggest_at_once=suggest_at_once)
            assert len({tuple(p) for p in pts}) == len(pts)  # never identical points
            dists.append(np.mean([np.linalg.norm(a - b) for a, b in itertools.combinations(pts, 2)]))
        spread[liar] = float(np.mean(dists))
    assert spread[True] > spread[False]


def test_four_running_trials_then_distinct_asks_in_discrete_space() -> None:
    def objective(trial: Trial) -> float:
        return float((trial.suggest_int("k", 0, 9) - 4) ** 2)

    study = rt.create_study(sampler=TPESampler(seed=0))
    study.optimize(objective, n_trials=6)
    asked = [study.ask() for _ in range(4)]
    ks = [t.suggest_int("k", 0, 9) for t in asked]
    assert len(set(ks)) == 4
    nxt = study.ask().suggest_int("k", 0, 9)
    assert nxt not in ks


def _zdt1(trial: Trial) -> tuple[float, float]:
    x = np.array([trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(5)])
    g = 1.0 + 9.0 * float(np.mean(x[1:]))
    return float(x[0]), g * (1 - math.sqrt(x[0] / g))


@pytest.mark.parametrize("seed", [0, 1])
def test_multi_objective_tpe_beats_random_on_zdt1(seed: int) -> None:
    hv = {}
    for name, sampler in (("tpe", TPESampler(seed=seed)), ("random", RandomSampler(seed=seed))):
        study = rt.create_study(directions=["minimize", "minimize"], sampler=sampler)
        study.optimize(_zdt1, n_trials=120)
        losses = np.array([t.values for t in study.trials])
        hv[name] = hypervolume(losses, [1.1, 11.0])
    assert hv["tpe"] > hv["random"]


def test_conditional_branches_are_modelled() -> None:
    def objective(trial: Trial) -> float:
        kind = trial.suggest_categorical("kind", ["a", "b"])
        if kind == "a":
            return (trial.suggest_float("xa", 0.0, 1.0) - 0.2) ** 2
        return 0.05 + (trial.suggest_float("xb", 0.0, 1.0) - 0.8) ** 2

    study = rt.create_study(sampler=TPESampler(seed=0))
    study.optimize(objective, n_trials=80)
    late = study.trials[40:]
    xa = [t.params["xa"] for t in late if "xa" in t.params]
    xb = [t.params["xb"] for t in late if "xb" in t.params]
    assert len(xa) > len(xb)
    assert abs(float(np.median(xa)) - 0.2) < 0.1
    if len(xb) >= 3:  # the worse branch is visited rarely, mostly near its own optimum
        assert abs(float(np.median(xb)) - 0.8) < 0.25


def test_range_that_changes_with_another_parameter_is_modelled() -> None:
    def objective(trial: Trial) -> float:
        chunk = trial.suggest_int("chunk_size", 256, 1024, step=256)
        if chunk > 512:
            overlap = trial.suggest_int("overlap", 64, 128)
            return abs(overlap - 100) / 64
        overlap = trial.suggest_int("overlap", 16, 48)
        return 0.1 + abs(overlap - 20) / 32

    study = rt.create_study(sampler=TPESampler(seed=1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(objective, n_trials=80)
    late = study.trials[40:]
    big = [t.params["overlap"] for t in late if t.params["chunk_size"] > 512]
    small = [t.params["overlap"] for t in late if t.params["chunk_size"] <= 512]
    assert big and abs(float(np.median(big)) - 100) < 12
    if len(small) >= 3:
        assert abs(float(np.median(small)) - 20) < 10
    assert all(64 <= o <= 128 for o in big) and all(16 <= o <= 48 for o in small)


def test_pruned_trials_inform_the_model() -> None:
    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        trial.report((x - 0.7) ** 2, 0)
        if trial.number >= 3:
            raise TrialPruned()  # after three completes, only intermediate values are known
        return (x - 0.7) ** 2

    study = rt.create_study(sampler=TPESampler(seed=0, n_startup_trials=10))
    study.optimize(objective, n_trials=60)
    late = [t.params["x"] for t in study.trials[40:]]
    assert abs(float(np.median(late)) - 0.7) < 0.1


def test_failed_and_running_trials_are_not_observations() -> None:
    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        if x > 0.5:
            raise ValueError("crash")
        return x

    study = rt.create_study(sampler=TPESampler(seed=0))
    study.optimize(objective, n_trials=40, catch=(ValueError,))
    assert {t.state for t in study.trials} == {TrialState.COMPLETE, TrialState.FAIL}


def test_seeded_runs_are_reproducible_and_reseed_changes_them() -> None:
    def run(sampler: TPESampler) -> list[float]:
        study = rt.create_study(sampler=sampler)
        study.optimize(branin, n_trials=25)
        return [t.params["x"] for t in study.trials]

    assert run(TPESampler(seed=5)) == run(TPESampler(seed=5))
    other = TPESampler(seed=5)
    other.reseed_rng(6)
    assert run(other) != run(TPESampler(seed=5))


def test_threads_share_one_sampler() -> None:
    sampler = TPESampler(seed=0)
    study = rt.create_study(sampler=sampler)
    together = threading.Barrier(2, timeout=30)  # the first two trials must run at the same time
    threads: set[int] = set()

    def objective(trial: Trial) -> float:
        threads.add(threading.get_ident())
        if trial.number < 2:
            together.wait()  # raises BrokenBarrierError (the trial fails) unless two threads run
        return branin(trial)

    study.optimize(objective, n_trials=60, n_jobs=2)
    assert len(threads) == 2 and not together.broken
    assert sorted(t.number for t in study.trials) == list(range(60))
    assert sum(t.state is TrialState.COMPLETE for t in study.trials) == 60
    assert len({(t.params["x"], t.params["y"]) for t in study.trials}) == 60  # no draw handed out twice


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_startup_trials": -1}, "n_startup_trials must be an int >= 0"),
        ({"n_ei_candidates": 0}, "n_ei_candidates must be an int >= 1"),
        ({"prior_weight": 0.0}, "prior_weight must be > 0"),
        ({"gamma": 3}, "gamma must be a callable"),
    ],
)
def test_bad_arguments_are_rejected(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        TPESampler(**kwargs)


def test_is_the_default_sampler() -> None:
    assert isinstance(rt.create_study().sampler, TPESampler)

"""NSGAIISampler: bounds, reproducibility, generation bookkeeping, constraints, quality, operators."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ragtune as rt
from ragtune.core.hypervolume import hypervolume
from ragtune.exceptions import ValidationError
from ragtune.samplers import NSGAIISampler, RandomSampler
from ragtune.samplers.nsga2.ledger import GENERATION_KEY
from ragtune.samplers.nsga2.operators import (
    polynomial_mutation,
    simulated_binary_crossover,
    uniform_crossover,
)
from ragtune.samplers.nsga2.population import select_survivors
from ragtune.storage import InMemoryStorage
from ragtune.testing.sampler_contract import SamplerContract

CHOICES = ("bm25", "dense", None, 3, 2.5, True)


def mixed_objective(trial: rt.Trial) -> tuple[float, float]:
    a = trial.suggest_float("a", -2.0, 3.0)
    b = trial.suggest_float("b", 1e-4, 10.0, log=True)
    c = trial.suggest_float("c", 0.0, 1.0, step=0.25)
    k = trial.suggest_int("k", 1, 9)
    n = trial.suggest_int("n", 1, 1000, log=True)
    s = trial.suggest_int("s", 0, 30, step=5)
    kind = trial.suggest_categorical("kind", CHOICES)
    extra = 0.0
    if kind == "dense":  # conditional parameter, absent in most parents
        extra = trial.suggest_float("temperature", 0.1, 2.0)
    loss = (a - 1) ** 2 + math.log(b) ** 2 + c + abs(k - 4) + math.log(n) + s / 10 + extra
    return loss, -a + CHOICES.index(kind)


def run(sampler: Any, objective: Any, n_trials: int, **kwargs: Any) -> rt.Study:
    study = rt.create_study(directions=["minimize", "minimize"], sampler=sampler, **kwargs)
    study.optimize(objective, n_trials=n_trials)
    return study


def generations(study: rt.Study) -> list[int]:
    return [t.system_attrs[GENERATION_KEY] for t in study.trials]


# -- sampler -----------------------------------------------------------------------------------


class TestNSGAIIContract(SamplerContract):
    """The shipped sampler contract; a small population so that every test evolves generations."""

    def make_sampler(self, seed: int) -> NSGAIISampler:
        return NSGAIISampler(population_size=8, seed=seed)


class TestNSGAIIUniformContract(SamplerContract):
    def make_sampler(self, seed: int) -> NSGAIISampler:
        return NSGAIISampler(population_size=8, crossover="uniform", seed=seed)


def test_exported_from_samplers_package() -> None:
    import ragtune.samplers
    import ragtune.samplers.nsga2

    assert ragtune.samplers.NSGAIISampler is NSGAIISampler
    assert ragtune.samplers.nsga2.__all__ == ["NSGAIISampler"]


@pytest.mark.parametrize("crossover", ["sbx", "uniform"])
def test_values_stay_inside_distributions(crossover: str) -> None:
    study = run(NSGAIISampler(population_size=10, crossover=crossover, seed=1), mixed_objective, 150)
    assert max(generations(study)) >= 10
    for t in study.trials:
        assert t.state is rt.TrialState.COMPLETE
        for name, value in t.params.items():
            assert t.distributions[name].contains(value), (name, value)
    kinds = {t.params["kind"] for t in study.trials[-50:]}
    assert kinds <= set(CHOICES)
    assert any("temperature" in t.params for t in study.trials[-100:])


def test_offspring_come_from_parents_not_random() -> None:
    # With mutation off, uniform crossover only recombines values the parents had.
    sampler = NSGAIISampler(population_size=10, crossover="uniform", mutation_prob=0.0, seed=3)
    study = run(sampler, mixed_objective, 40)
    gen0 = {t.params["k"] for t in study.trials if t.system_attrs[GENERATION_KEY] == 0}
    later = [t for t in study.trials if t.system_attrs[GENERATION_KEY] >= 1]
    assert later and all(t.params["k"] in gen0 for t in later)


def test_reproducible_with_seed() -> None:
    def params(seed: int) -> list[dict[str, Any]]:
        study = run(NSGAIISampler(population_size=8, seed=seed), mixed_objective, 60)
        return [dict(t.params) for t in study.trials]

    assert params(7) == params(7)
    assert params(7) != params(8)


def test_generations_advance_with_population_size() -> None:
    study = run(NSGAIISampler(population_size=10, seed=0), mixed_objective, 60)
    assert generations(study) == [n // 10 for n in range(60)]


def test_failed_trials_do_not_fill_a_generation() -> None:
    def flaky(trial: rt.Trial) -> tuple[float, float]:
        x = trial.suggest_float("x", 0.0, 1.0)
        if trial.number % 3 == 0:
            raise RuntimeError("flaky")
        return x, 1 - x

    study = rt.create_study(
        directions=["minimize", "minimize"], sampler=NSGAIISampler(population_size=6, seed=0)
    )
    study.optimize(flaky, n_trials=60, catch=RuntimeError)
    gens = generations(study)
    for g in range(max(gens)):
        done = [t for t in study.trials if gens[t.number] == g and t.state is rt.TrialState.COMPLETE]
        assert len(done) >= 6


def test_bookkeeping_survives_restart() -> None:
    storage = InMemoryStorage()
    first = NSGAIISampler(population_size=10, seed=0)
    study = rt.create_study(
        directions=["minimize", "minimize"], sampler=first, storage=storage, study_name="nsga"
    )
    study.optimize(mixed_objective, n_trials=60)
    assert max(generations(study)) == 5

    second = NSGAIISampler(population_size=10, seed=1)
    again = rt.load_study(study_name="nsga", storage=storage, sampler=second)
    again.optimize(mixed_objective, n_trials=30)
    assert generations(again) == [n // 10 for n in range(90)]

    # Both samplers derive the same parents from storage alone.
    old_ledger = next(iter(first._ledgers.values()))
    old_ledger.update(again.trials_view())
    old = old_ledger.parents(6)
    new = next(iter(second._ledgers.values())).parents(6)
    assert old.numbers.tolist() == new.numbers.tolist()
    assert len(new) == 10


def test_one_sampler_serves_two_studies() -> None:
    sampler = NSGAIISampler(population_size=5, seed=0)
    a = rt.create_study(directions=["minimize", "minimize"], sampler=sampler)
    b = rt.create_study(directions=["minimize", "minimize"], sampler=sampler)
    for _ in range(20):
        a.optimize(mixed_objective, n_trials=1)
        b.optimize(mixed_objective, n_trials=2)
    assert generations(a) == [n // 5 for n in range(20)]
    assert generations(b) == [n // 5 for n in range(40)]


def test_parallel_workers_keep_generations_consistent() -> None:
    study = rt.create_study(
        directions=["minimize", "minimize"], sampler=NSGAIISampler(population_size=8, seed=0)
    )
    study.optimize(mixed_objective, n_trials=80, n_jobs=4)
    gens = generations(study)
    assert max(gens) >= 6
    for g in range(max(gens)):
        assert sum(1 for x in gens if x == g) >= 8


def test_constraint_dominance_reaches_feasible_region() -> None:
    def constrained(trial: rt.Trial) -> tuple[float, float]:
        x = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(5)]
        trial.set_constraint(sum(x[1:]) - 0.5)  # random sampling is feasible ~0.3% of the time
        return x[0], 1 - x[0] + sum(x[1:])

    nsga = run(NSGAIISampler(population_size=20, seed=0), constrained, 300)
    rand = run(RandomSampler(seed=0), constrained, 300)
    assert sum(t.feasible for t in nsga.trials[-100:]) >= 80
    assert sum(t.feasible for t in rand.trials[-100:]) <= 3


def test_constraints_false_ignores_violations() -> None:
    def constrained(trial: rt.Trial) -> tuple[float, float]:
        x = trial.suggest_float("x", 0.0, 1.0)
        trial.set_constraint(0.5 - x)  # feasible only for x >= 0.5, the worse half of objective 0
        return x, 1 - x

    on = run(NSGAIISampler(population_size=10, seed=0), constrained, 100)
    off = run(NSGAIISampler(population_size=10, seed=0, constraints=False), constrained, 100)
    assert sum(t.feasible for t in on.trials[-30:]) > sum(t.feasible for t in off.trials[-30:])


def zdt1(trial: rt.Trial) -> tuple[float, float]:
    """ZDT1 (Zitzler, Deb & Thiele 2000) with 5 variables."""
    x = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(5)]
    g = 1 + 9 * sum(x[1:]) / 4
    return x[0], g * (1 - math.sqrt(x[0] / g))


def front_hypervolume(study: rt.Study) -> float:
    losses = np.array([t.values for t in study.best_trials])
    return hypervolume(losses, [1.1, 11.0])


@pytest.mark.parametrize("population_size", [20, 50])
def test_zdt1_hypervolume_beats_random(population_size: int) -> None:
    nsga = run(NSGAIISampler(population_size=population_size, seed=0), zdt1, 300)
    rand = run(RandomSampler(seed=0), zdt1, 300)
    assert front_hypervolume(nsga) > front_hypervolume(rand) + 0.3


def test_single_objective_converges() -> None:
    def sphere(trial: rt.Trial) -> float:
        return sum((trial.suggest_float(f"x{i}", -5.0, 5.0) - 1.0) ** 2 for i in range(3))

    nsga = rt.create_study(sampler=NSGAIISampler(population_size=10, seed=0))
    nsga.optimize(sphere, n_trials=200)
    rand = rt.create_study(sampler=RandomSampler(seed=0))
    rand.optimize(sphere, n_trials=200)
    assert nsga.best_value < rand.best_value / 4


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"population_size": 1}, "population_size must be an int >= 2, but got population_size=1"),
        ({"population_size": 2.5}, "population_size must be an int >= 2"),
        ({"crossover": "blx"}, 'crossover must be "uniform" or "sbx", but got crossover=\'blx\''),
        (
            {"crossover_prob": 1.5},
            "crossover_prob must be a probability in [0, 1], but got crossover_prob=1.5",
        ),
        ({"mutation_prob": -0.1}, "mutation_prob must be a probability in [0, 1]"),
        ({"swapping_prob": 2}, "swapping_prob must be a probability in [0, 1]"),
        ({"eta_c": -1.0}, "eta_c must be a finite number >= 0, but got eta_c=-1.0"),
        ({"eta_m": math.inf}, "eta_m must be a finite number >= 0"),
    ],
)
def test_rejects_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        NSGAIISampler(**kwargs)
    assert message in str(info.value)


# -- survivor selection ------------------------------------------------------------------------


def test_select_survivors_takes_fronts_then_crowding() -> None:
    losses = np.array([[0.0, 4.0], [0.5, 3.5], [2.0, 2.0], [3.5, 0.5], [4.0, 0.0], [5.0, 5.0]])
    keep, ranks = select_survivors(losses, np.zeros(6), 3)
    # Front 0 has five points; the extremes (inf crowding) and the middle (widest gaps) survive.
    assert keep.tolist() == [0, 2, 4] and ranks.tolist() == [0, 0, 0]
    assert select_survivors(losses, np.zeros(6), 5)[0].tolist() == [0, 1, 2, 3, 4]


def test_select_survivors_prefers_feasible_then_small_violation() -> None:
    losses = np.array([[0.0, 0.0], [5.0, 5.0], [1.0, 1.0], [9.0, 9.0]])
    violations = np.array([2.0, 0.0, 0.5, 0.0])
    assert select_survivors(losses, violations, 2)[0].tolist() == [1, 3]
    keep, ranks = select_survivors(losses, violations, 3)
    assert keep.tolist() == [1, 2, 3]
    assert ranks.tolist() == [0, 2, 1]  # feasible fronts first, then infeasible by violation


# -- operators ---------------------------------------------------------------------------------


def test_sbx_children_stay_in_bounds_at_the_edges() -> None:
    rng = np.random.default_rng(0)
    low, high = np.zeros(4), np.ones(4)
    x1 = np.tile([0.0, 1.0, 0.0, 0.3], (5000, 1))
    x2 = np.tile([1.0, 1.0, 1e-9, 0.3], (5000, 1))
    for eta in (0.0, 2.0, 20.0):
        c1, c2 = simulated_binary_crossover(rng, x1, x2, low, high, eta=eta)
        for c in (c1, c2):
            assert np.all((c >= low) & (c <= high))
        assert np.all(c1[:, 1] == 1.0) and np.all(c2[:, 3] == 0.3)  # equal parents copied


def test_sbx_spread_shrinks_with_eta() -> None:
    rng = np.random.default_rng(0)
    low, high = np.full(1, -10.0), np.full(1, 10.0)
    x1, x2 = np.full((20000, 1), -1.0), np.full((20000, 1), 1.0)
    wide, _ = simulated_binary_crossover(rng, x1, x2, low, high, eta=1.0)
    narrow, _ = simulated_binary_crossover(rng, x1, x2, low, high, eta=50.0)
    assert np.std(narrow) < np.std(wide)
    # beta_q <= 1 with probability 1/2 (Deb & Agrawal 1995): half the children lie between parents.
    assert abs(np.mean(np.abs(narrow) <= 1.0) - 0.5) < 0.02


def test_polynomial_mutation_stays_in_bounds_and_is_local_for_large_eta() -> None:
    rng = np.random.default_rng(0)
    low, high = np.array([0.0, -5.0, 2.0]), np.array([1.0, 5.0, 2.0])
    x = np.tile([0.0, 5.0, 2.0], (5000, 1))
    y = polynomial_mutation(rng, x, low, high, eta=0.0)
    assert np.all((y >= low) & (y <= high)) and np.all(y[:, 2] == 2.0)
    z = polynomial_mutation(rng, np.full((5000, 1), 0.5), low[:1], high[:1], eta=200.0)
    assert np.max(np.abs(z - 0.5)) < 0.05


def test_uniform_crossover_children_are_complementary() -> None:
    rng = np.random.default_rng(0)
    x1, x2 = np.zeros((100, 6)), np.ones((100, 6))
    c1, c2 = uniform_crossover(rng, x1, x2, swapping_prob=0.5)
    assert np.array_equal(c1 + c2, np.ones((100, 6)))
    same, _ = uniform_crossover(rng, x1, x2, swapping_prob=0.0)
    assert np.array_equal(same, x1)


bounds = st.tuples(st.floats(-1e6, 1e6, allow_nan=False), st.floats(0.0, 1e6, allow_nan=False)).map(
    lambda t: (t[0], t[0] + t[1])
)


@settings(max_examples=200, deadline=None)
@given(
    box=bounds,
    fractions=st.lists(st.floats(0.0, 1.0), min_size=3, max_size=3),
    eta=st.floats(0.0, 500.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_operators_respect_bounds(
    box: tuple[float, float], fractions: list[float], eta: float, seed: int
) -> None:
    lo, hi = box
    low, high = np.full(64, lo), np.full(64, hi)
    rng = np.random.default_rng(seed)
    x1 = np.full(64, min(lo + fractions[0] * (hi - lo), hi))
    x2 = np.full(64, min(lo + fractions[1] * (hi - lo), hi))
    c1, c2 = simulated_binary_crossover(rng, x1, x2, low, high, eta=eta)
    m = polynomial_mutation(rng, np.full(64, min(lo + fractions[2] * (hi - lo), hi)), low, high, eta=eta)
    for out in (c1, c2, m):
        assert np.all(np.isfinite(out))
        assert np.all((out >= lo) & (out <= hi))

"""Unit tests of TPE's parts: unit coordinates, Parzen estimators, bandwidths and the good/bad split."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ragtune as rt
import ragtune.samplers.tpe.sampler as sampler_module
from ragtune.core.distributions import (
    AnyDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from ragtune.core.trial_state import TrialState
from ragtune.samplers import TPESampler
from ragtune.samplers.tpe.cache import Group
from ragtune.samplers.tpe.fit import (
    KernelConfig,
    fit_estimator,
    neighbour_bandwidth,
    scott_bandwidth,
    spread_free_bandwidth,
)
from ragtune.samplers.tpe.space import UnitSpace, unit_dim
from ragtune.samplers.tpe.split import (
    FrontMemo,
    _best_by_losses,
    default_gamma,
    good_ranking,
    rank_log_weights,
    split_good,
)

DISTS: list[AnyDistribution] = [
    FloatDistribution(low=-2.0, high=3.0),
    FloatDistribution(low=1e-4, high=1.0, log=True),
    FloatDistribution(low=0.0, high=1.0, step=0.25),
    IntDistribution(low=-3, high=4),
    IntDistribution(low=1, high=1024, log=True),
    IntDistribution(low=0, high=30, step=5),
    CategoricalDistribution(choices=(None, True, 3, "x")),
]


@pytest.mark.parametrize("dist", DISTS, ids=lambda d: d.describe())
def test_unit_coordinates_round_trip_and_stay_in_range(dist: AnyDistribution) -> None:
    space = UnitSpace([unit_dim(dist)])
    rng = np.random.default_rng(0)
    internal = space.from_unit(rng.random((200, 1)) * (4 if dist.kind == "categorical" else 1))
    assert all(dist.contains(dist.to_external(v)) for v in internal[:, 0])
    back = space.from_unit(space.to_unit(internal))
    np.testing.assert_allclose(back, internal, rtol=1e-9)
    assert space.contains(internal).all()


def _grid_mass(est_log_pdf: np.ndarray) -> float:
    return float(np.exp(est_log_pdf).mean())


@pytest.mark.parametrize("neighbour", [False, True])
def test_parzen_estimator_is_a_normalised_density(neighbour: bool) -> None:
    space = UnitSpace([unit_dim(d) for d in (DISTS[0], DISTS[3], DISTS[6])])
    rng = np.random.default_rng(1)
    obs = space.to_unit(
        np.column_stack([rng.uniform(-2, 3, 30), rng.integers(-3, 5, 30), rng.integers(0, 4, 30)]).astype(
            float
        )
    )
    est = fit_estimator(space, obs, KernelConfig(1.0, False), n_model_dims=3, neighbour=neighbour)
    grid = (np.arange(1000) + 0.5) / 1000
    total = 0.0
    for k in range(8):
        for c in range(4):
            x = np.column_stack([grid, np.full(1000, (k + 0.5) / 8), np.full(1000, float(c))])
            total += _grid_mass(est.log_pdf(x))
    assert total == pytest.approx(1.0, abs=0.01)  # midpoint rule on wide grid kernels: ~0.3 %
    marginal = est.marginal_log_pdf(np.column_stack([grid, np.full(1000, 0.5 / 8), np.zeros(1000)]))
    assert _grid_mass(marginal[:, 0]) == pytest.approx(1.0, abs=1e-3)
    draws = est.sample(rng, 20_000)
    assert space.contains(space.from_unit(draws)).all()
    weights = np.exp(est.log_pdf(np.column_stack([grid, np.full(1000, 0.5 / 8), np.zeros(1000)])))
    assert np.isfinite(weights).all()


def test_log_pdf_matches_sum_of_weighted_kernels() -> None:
    space = UnitSpace([unit_dim(DISTS[0]), unit_dim(DISTS[1])])
    rng = np.random.default_rng(2)
    est = fit_estimator(space, rng.random((50, 2)), KernelConfig(1.0, False), n_model_dims=2)
    x = rng.random((7, 2))
    direct = np.log(np.exp(est.weighted_log_kernels(x)).sum(axis=1))
    # The mixture is summed in single precision (exp() of float32 runs several times faster).
    np.testing.assert_allclose(est.log_pdf(x), direct, rtol=1e-10, atol=1e-6)


def test_neighbour_bandwidth_is_the_larger_gap_to_a_neighbour() -> None:
    values = np.array([[0.1, 0.9], [0.3, 0.2], [0.8, 0.6]])
    out = neighbour_bandwidth(values, consider_endpoints=True)
    # Column 0 sorted with the prior 0.5 and the ends: 0, .1, .3, .5, .8, 1
    np.testing.assert_allclose(out[:, 0], [0.2, 0.2, 0.3])
    np.testing.assert_allclose(out[:, 1], [0.3, 0.3, 0.3])
    # The last point of [.02, .5 (prior), .6]: its gap to the domain end counts only with endpoints.
    edge = np.array([[0.02], [0.6]])
    np.testing.assert_allclose(neighbour_bandwidth(edge, consider_endpoints=True)[:, 0], [0.48, 0.4])
    np.testing.assert_allclose(neighbour_bandwidth(edge, consider_endpoints=False)[:, 0], [0.48, 0.1])


def test_spread_free_bandwidth_counts_values_not_their_spread() -> None:
    # 0.2 n^(-1/(d+4)) per column, n = the column's non-NaN values: d = 6 -> exponent -1/10.
    clustered = np.full((32, 2), 0.5) + np.linspace(0.0, 0.01, 32)[:, None]
    clustered[:16, 1] = np.nan
    out = spread_free_bandwidth(clustered, 6)
    np.testing.assert_allclose(out, [0.2 / 32**0.1, 0.2 / 16**0.1])
    # The same counts spread over the whole range give the same bandwidths; Scott's rule does not.
    spread = np.random.default_rng(5).random((32, 2))
    spread[:16, 1] = np.nan
    np.testing.assert_allclose(spread_free_bandwidth(spread, 6), out)
    assert not np.allclose(scott_bandwidth(spread, 6), scott_bandwidth(clustered, 6))
    assert spread_free_bandwidth(np.zeros((0, 3)), 6).tolist() == [0.2, 0.2, 0.2]


def test_bad_set_estimator_uses_the_spread_free_scale_within_its_clip() -> None:
    space = UnitSpace([unit_dim(DISTS[0]), unit_dim(DISTS[1])])
    obs = np.random.default_rng(6).random((40, 2))
    cfg = KernelConfig(1.0, False)
    bad = fit_estimator(space, obs, cfg, n_model_dims=2, spread_free=True)
    np.testing.assert_allclose(bad.sigma_obs, [0.2 / 40 ** (1 / 6)] * 2)
    good = fit_estimator(space, obs, cfg, n_model_dims=2)
    np.testing.assert_allclose(good.sigma_obs, scott_bandwidth(obs, 2))
    # The clip still bounds it from below (a clip above 0.2 n^(-1/(d+4)) wins).
    clipped = fit_estimator(space, obs, cfg, n_model_dims=2, spread_free=True, clip=0.5)
    np.testing.assert_allclose(clipped.sigma_obs, [0.5, 0.5])


def _reference_neighbour_bandwidth(values: np.ndarray, *, consider_endpoints: bool) -> np.ndarray:
    """The rule spelled out point by point: sort each column with the prior 0.5, take the larger gap."""
    out = np.empty(values.shape)
    for k in range(values.shape[1]):
        points = sorted([(v, i) for i, v in enumerate(values[:, k])] + [(0.5, -1)])
        for p, (v, i) in enumerate(points):
            left = v - (points[p - 1][0] if p else 0.0)
            right = (points[p + 1][0] if p + 1 < len(points) else 1.0) - v
            if not consider_endpoints and p == 0:
                left = right
            if not consider_endpoints and p == len(points) - 1:
                right = left
            if i >= 0:
                out[i, k] = max(left, right)
    return out


@pytest.mark.parametrize("consider_endpoints", [False, True])
def test_neighbour_bandwidth_matches_the_rule_and_accepts_a_kept_order(consider_endpoints: bool) -> None:
    rng = np.random.default_rng(4)
    for n in (1, 2, 5, 40):
        for values in (rng.random((n, 3)), 0.5 + 0.5 * rng.random((n, 3)), 0.5 * rng.random((n, 3))):
            want = _reference_neighbour_bandwidth(values, consider_endpoints=consider_endpoints)
            got = neighbour_bandwidth(values, consider_endpoints=consider_endpoints)
            np.testing.assert_allclose(got, want, atol=1e-12)
            order = np.argsort(values.T, axis=1, kind="stable")
            kept = neighbour_bandwidth(values, consider_endpoints=consider_endpoints, order=order)
            np.testing.assert_allclose(kept, want, atol=1e-12)


def test_group_keeps_columns_sorted_across_trials() -> None:
    study = rt.create_study()
    rng = np.random.default_rng(5)
    group = Group(["a", "b"], [FloatDistribution(low=0.0, high=1.0), IntDistribution(low=0, high=9)])
    for step in range(4):
        for _ in range(7):
            trial = study.ask()
            trial.suggest_float("a", 0.0, 1.0)
            trial.suggest_int("b", 0, 9)
            study.tell(trial, float(rng.random()))
        view = study.trials_view()
        n_finished = len(view.states)
        rows = group.rows(view, n_finished, running=False)
        subset = rows[rng.random(rows.size) < 0.6] if step else rows
        order = group.column_order(subset)
        assert order is not None
        unit = group.coords(view, subset, n_finished)
        for k in range(2):
            assert np.all(np.diff(unit[order[k], k]) >= 0.0)
            assert sorted(order[k].tolist()) == list(range(subset.size))


def test_multi_objective_memo_selects_exactly_what_a_full_sort_does() -> None:
    rng = np.random.default_rng(3)
    for m in (2, 3):
        losses = np.concatenate([rng.random((60, m)) * 0.5, rng.random((240, m)) + 0.2])
        losses = np.round(losses * 20) / 20  # ties and duplicates too
        memo = FrontMemo()
        for n in range(12, 300, 4):
            k = default_gamma(n)
            fast = np.sort(_best_by_losses(losses[:n], k, np.arange(n), memo))
            assert np.array_equal(fast, np.sort(_best_by_losses(losses[:n], k)))


def test_split_prefers_feasible_then_least_violation_then_pruned_and_never_running() -> None:
    study = rt.create_study()
    specs = [  # (value, violation, state)
        (5.0, 0.0, TrialState.COMPLETE),
        (1.0, 2.0, TrialState.COMPLETE),
        (0.5, 0.5, TrialState.COMPLETE),
        (9.0, 0.0, TrialState.COMPLETE),
        (None, 0.0, TrialState.PRUNED),
    ]
    for value, violation, state in specs:
        trial = study.ask()
        trial.suggest_float("x", 0, 1)
        trial.set_constraint([violation])
        trial.report(0.1, 3)
        study.tell(trial, value, state=state)
    running = study.ask()
    running.suggest_float("x", 0, 1)
    view = study.trials_view()
    rows = np.arange(len(view))
    order = [int(view.numbers[i]) for i in rows]
    for k, expected in [(1, {0}), (2, {0, 3}), (3, {0, 3, 2}), (4, {0, 3, 2, 1}), (5, {0, 1, 2, 3, 4})]:

        def gamma(n: int, k: int = k) -> int:
            return k

        good = split_good(view, rows, gamma, constraints=True)
        assert {order[i] for i in np.flatnonzero(good)} == expected
    good = split_good(view, rows, lambda n: 99, constraints=True)
    assert not good[order.index(running.number)]


def _rank_weights(view: Any, rows: np.ndarray, *, constraints: bool, floor: float = 0.5) -> np.ndarray | None:
    """Log weight of each of ``rows`` when all of them form the good set, as the sampler assigns them."""
    ranking = good_ranking(view, rows, lambda n: rows.size, constraints=constraints)
    by_rank = rank_log_weights(ranking.size, floor)
    if by_rank is None:
        return None
    out = np.empty(rows.size)
    out[ranking] = by_rank
    return out


def _told(specs: list[tuple[float | None, float, TrialState]]) -> rt.Study:
    study = rt.create_study()
    for value, violation, state in specs:
        trial = study.ask()
        trial.suggest_float("x", 0, 1)
        trial.set_constraint([violation])
        study.tell(trial, value, state=state)
    return study


def test_rank_weights_fall_linearly_from_the_best_to_half() -> None:
    study = _told(
        [(3.0, 0.0, TrialState.COMPLETE), (1.0, 0.0, TrialState.COMPLETE), (2.0, 0.0, TrialState.COMPLETE)]
    )
    view = study.trials_view()
    w = _rank_weights(view, np.arange(3), constraints=True)
    assert w is not None
    # Ranks 2, 0, 1 of 3: weights 1 - 0.5 * rank / 2.
    np.testing.assert_allclose(np.exp(w), [0.5, 1.0, 0.75])
    assert _rank_weights(view, np.arange(1), constraints=True) is None  # one observation: uniform
    np.testing.assert_allclose(
        np.exp(_rank_weights(view, np.arange(3), constraints=True, floor=0.2)), [0.2, 1.0, 0.6]
    )


def test_rank_weights_put_feasible_first_then_least_violation_and_pruned_at_the_floor() -> None:
    specs = [  # (value, violation, state)
        (5.0, 0.0, TrialState.COMPLETE),  # feasible, rank 1
        (0.5, 0.5, TrialState.COMPLETE),  # infeasible, better value: rank 2
        (1.0, 2.0, TrialState.COMPLETE),  # more violation: rank 3
        (4.0, 0.0, TrialState.COMPLETE),  # best feasible: rank 0
        (None, 0.0, TrialState.PRUNED),  # fill-in: the floor
    ]
    view = _told(specs).trials_view()
    rows = np.arange(5)
    w = _rank_weights(view, rows, constraints=True)
    assert w is not None
    np.testing.assert_allclose(np.exp(w), [1 - 0.5 / 4, 1 - 1.0 / 4, 1 - 1.5 / 4, 1.0, 0.5])
    # Without constraints, complete trials rank by value alone.
    w = _rank_weights(view, rows, constraints=False)
    assert w is not None
    np.testing.assert_allclose(np.exp(w), [1 - 1.5 / 4, 1.0, 1 - 0.5 / 4, 1 - 1.0 / 4, 0.5])


def test_single_objective_good_set_is_fitted_with_rank_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    study = rt.create_study(sampler=TPESampler(seed=0, n_startup_trials=5))
    study.optimize(lambda t: (t.suggest_float("x", -1.0, 1.0) - 0.3) ** 2, n_trials=30)
    good_weights: list[np.ndarray] = []
    original = sampler_module.fit_estimator

    def spy(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("clip") is not None:  # only the good set's estimator gets a clip
            good_weights.append(np.exp(kwargs["log_weights"]))
        return original(*args, **kwargs)

    monkeypatch.setattr(sampler_module, "fit_estimator", spy)
    study.optimize(lambda t: (t.suggest_float("x", -1.0, 1.0) - 0.3) ** 2, n_trials=1)
    assert len(good_weights) == 1
    weights = good_weights[0]
    assert weights.size == default_gamma(30)
    assert weights.max() == pytest.approx(1.0) and weights.min() == pytest.approx(0.5)


def test_rank_weights_order_pruned_trials_by_how_far_they_ran_then_their_last_report() -> None:
    study = rt.create_study()
    for value, reports in [(2.0, []), (None, [(0.9, 1)]), (None, [(0.8, 1), (0.7, 2)]), (None, [(0.1, 1)])]:
        trial = study.ask()
        trial.suggest_float("x", 0, 1)
        for intermediate, step in reports:
            trial.report(intermediate, step)
        if value is None:
            study.tell(trial, state=TrialState.PRUNED)
        else:
            study.tell(trial, value)
    w = _rank_weights(study.trials_view(), np.arange(4), constraints=True)
    assert w is not None
    # The complete trial first, then the pruned one that reached step 2, then step 1 by last report.
    np.testing.assert_allclose(np.exp(w), [1.0, 1 - 0.5, 1 - 0.5 / 3, 1 - 1.0 / 3])

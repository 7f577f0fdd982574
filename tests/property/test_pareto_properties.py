"""Pareto sorting and hypervolume: invariants that must hold on any finite loss array."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ragtune.core.hypervolume import hypervolume, hypervolume_contributions
from ragtune.core.pareto import crowding_distance, dominates, is_pareto_front, non_dominated_sort

sys.path.insert(0, str(Path(__file__).parent))
from property_strategies import FIXED

# Small integer-valued grids make ties and duplicates common, which is where sorting code breaks.
_cells = st.one_of(st.integers(0, 5).map(float), st.floats(-1e3, 1e3, allow_nan=False))


@st.composite
def loss_arrays(draw: st.DrawFn, max_n: int = 24, max_m: int = 5) -> np.ndarray:
    m = draw(st.integers(1, max_m))
    n = draw(st.integers(1, max_n))
    return draw(arrays(np.float64, (n, m), elements=_cells))


def dominated_by_any(point: np.ndarray, others: np.ndarray) -> bool:
    return any(dominates(o, point) for o in others)


@FIXED
@given(losses=loss_arrays())
def test_front_is_exactly_the_non_dominated_rows(losses: np.ndarray) -> None:
    mask = is_pareto_front(losses)
    for i in range(len(losses)):
        assert mask[i] == (not dominated_by_any(losses[i], losses)), i


@FIXED
@given(losses=loss_arrays(), seed=st.integers(0, 2**16))
def test_sorting_does_not_depend_on_row_order(losses: np.ndarray, seed: int) -> None:
    perm = np.random.default_rng(seed).permutation(len(losses))
    np.testing.assert_array_equal(is_pareto_front(losses)[perm], is_pareto_front(losses[perm]))
    np.testing.assert_array_equal(non_dominated_sort(losses)[perm], non_dominated_sort(losses[perm]))


@FIXED
@given(losses=loss_arrays())
def test_ranks_peel_fronts(losses: np.ndarray) -> None:
    ranks = non_dominated_sort(losses)
    np.testing.assert_array_equal(ranks == 0, is_pareto_front(losses))
    for i, r in enumerate(ranks):
        same_or_worse = losses[ranks >= r]
        assert not dominated_by_any(losses[i], same_or_worse)
        if r > 0:
            assert dominated_by_any(losses[i], losses[ranks == r - 1])
    # identical rows share a rank
    for i in range(len(losses)):
        twins = np.all(losses == losses[i], axis=1)
        assert np.all(ranks[twins] == ranks[i])


@FIXED
@given(losses=loss_arrays(), n_below=st.integers(0, 30))
def test_n_below_ranks_a_prefix_of_the_full_sort(losses: np.ndarray, n_below: int) -> None:
    full = non_dominated_sort(losses)
    partial = non_dominated_sort(losses, n_below=n_below)
    ranked = partial < len(losses)
    np.testing.assert_array_equal(partial[ranked], full[ranked])
    assert ranked.sum() >= min(n_below, len(losses))
    if ranked.any() and not ranked.all():
        assert full[~ranked].min() > full[ranked].max()


@FIXED
@given(losses=loss_arrays())
def test_crowding_distance_is_non_negative_with_infinite_extremes(losses: np.ndarray) -> None:
    d = crowding_distance(losses)
    assert d.shape == (len(losses),) and np.all(d >= 0)
    if len(losses) <= 2:
        assert np.all(np.isinf(d))
        return
    for k in range(losses.shape[1]):
        if np.ptp(losses[:, k]) > 0:
            assert np.isinf(d[np.argmin(losses[:, k])]) or np.sum(losses[:, k] == losses[:, k].min()) > 1


@st.composite
def points_and_reference(draw: st.DrawFn, max_m: int = 4) -> tuple[np.ndarray, np.ndarray]:
    losses = draw(loss_arrays(max_n=14, max_m=max_m))
    margin = draw(arrays(np.float64, (losses.shape[1],), elements=st.floats(0.0, 10.0)))
    # Mostly a reference beyond every point; sometimes one that cuts some points off.
    base = losses.max(axis=0) if draw(st.booleans()) else np.median(losses, axis=0)
    return losses, base + margin


@FIXED
@given(data=points_and_reference())
def test_hypervolume_only_depends_on_the_front(data: tuple[np.ndarray, np.ndarray]) -> None:
    losses, ref = data
    hv = hypervolume(losses, ref)
    front = losses[is_pareto_front(losses)]
    assert hv >= 0
    assert np.isclose(hypervolume(front, ref), hv, rtol=1e-9, atol=1e-9)
    assert np.isclose(hypervolume(np.concatenate([losses, losses]), ref), hv, rtol=1e-9, atol=1e-9)
    box = np.prod(np.clip(ref - losses.min(axis=0), 0, None))
    assert hv <= box * (1 + 1e-9) + 1e-9


@FIXED
@given(
    data=points_and_reference(),
    scale=st.floats(0.25, 4.0),
    shift=st.floats(-100, 100),
    seed=st.integers(0, 99),
)
def test_hypervolume_scales_translates_and_ignores_order(
    data: tuple[np.ndarray, np.ndarray], scale: float, shift: float, seed: int
) -> None:
    losses, ref = data
    hv = hypervolume(losses, ref)
    m = losses.shape[1]
    assert np.isclose(hypervolume(losses * scale, ref * scale), hv * scale**m, rtol=1e-7, atol=1e-7)
    assert np.isclose(hypervolume(losses + shift, ref + shift), hv, rtol=1e-7, atol=1e-6)
    perm = np.random.default_rng(seed).permutation(len(losses))
    assert np.isclose(hypervolume(losses[perm], ref), hv, rtol=1e-9, atol=1e-9)


@FIXED
@given(data=points_and_reference(max_m=3))
def test_contributions_are_leave_one_out_differences(data: tuple[np.ndarray, np.ndarray]) -> None:
    losses, ref = data
    hv = hypervolume(losses, ref)
    contrib = hypervolume_contributions(losses, ref)
    assert contrib.shape == (len(losses),) and np.all(contrib >= -1e-9)
    for i in range(len(losses)):
        rest = np.delete(losses, i, axis=0)
        loo = hv - (hypervolume(rest, ref) if len(rest) else 0.0)
        assert np.isclose(contrib[i], loo, rtol=1e-7, atol=1e-7 * max(1.0, hv)), (i, contrib[i], loo)
    assert contrib.sum() <= hv * (1 + 1e-9) + 1e-9

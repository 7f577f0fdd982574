"""Tests of ragtune.core.pareto against an O(n²) pairwise-dominance reference."""

from __future__ import annotations

import numpy as np
import pytest

from ragtune.core.pareto import (
    as_losses,
    constrained_non_dominated_sort,
    crowding_distance,
    dominates,
    is_pareto_front,
    non_dominated_sort,
    unique_rows,
)
from ragtune.exceptions import ValidationError


def reference_ranks(losses: np.ndarray) -> np.ndarray:
    """Peel fronts by explicit pairwise dominance; O(n²) per front."""
    n = losses.shape[0]
    ranks = np.full(n, -1)
    remaining = set(range(n))
    rank = 0
    while remaining:
        front = {
            i
            for i in remaining
            if not any(
                bool(np.all(losses[j] <= losses[i]) and np.any(losses[j] < losses[i]))
                for j in remaining
                if j != i
            )
        }
        for i in front:
            ranks[i] = rank
        remaining -= front
        rank += 1
    return ranks


def random_losses(rng: np.random.Generator, kind: str, n: int, m: int) -> np.ndarray:
    if kind == "continuous":
        return rng.random((n, m))
    if kind == "integer":
        # Few distinct values per objective: many ties and duplicate rows.
        return rng.integers(0, 4, size=(n, m)).astype(float)
    if kind == "duplicated":
        base = rng.random((n // 2, m))
        return np.concatenate([base, base[rng.integers(0, n // 2, size=n - n // 2)]])
    if kind == "front":
        # Points on a simplex: all mutually non-dominated, plus a shifted copy behind them.
        front = rng.dirichlet(np.ones(m), size=n // 2)
        return np.concatenate([front, front[: n - n // 2] + 0.1])
    raise AssertionError(kind)


KINDS = ["continuous", "integer", "duplicated", "front"]


@pytest.mark.parametrize("m", [2, 3, 4])
@pytest.mark.parametrize("kind", KINDS)
def test_non_dominated_sort_matches_pairwise_reference(m: int, kind: str) -> None:
    rng = np.random.default_rng(1000 * m + KINDS.index(kind))
    for n in (1, 2, 7, 40):
        losses = random_losses(rng, kind, n, m) if n >= 2 else rng.random((n, m))
        expected = reference_ranks(losses)
        np.testing.assert_array_equal(non_dominated_sort(losses), expected)
        np.testing.assert_array_equal(is_pareto_front(losses), expected == 0)


@pytest.mark.parametrize("m", [1, 2, 3, 5])
def test_is_pareto_front_assume_unique_lexsorted(m: int) -> None:
    rng = np.random.default_rng(7 + m)
    losses = np.unique(rng.integers(0, 6, size=(60, m)).astype(float), axis=0)
    np.testing.assert_array_equal(
        is_pareto_front(losses, assume_unique_lexsorted=True), reference_ranks(losses) == 0
    )


def test_duplicates_all_on_front() -> None:
    losses = np.array([[1.0, 2.0], [1.0, 2.0], [2.0, 1.0], [2.0, 2.0], [2.0, 2.0]])
    np.testing.assert_array_equal(is_pareto_front(losses), [True, True, True, False, False])
    np.testing.assert_array_equal(non_dominated_sort(losses), [0, 0, 0, 1, 1])


def test_single_objective_ranks_are_dense_order() -> None:
    losses = np.array([[3.0], [1.0], [2.0], [1.0]])
    np.testing.assert_array_equal(non_dominated_sort(losses), [2, 0, 1, 0])


def test_n_below_ranks_whole_fronts_then_stops() -> None:
    rng = np.random.default_rng(11)
    losses = rng.random((200, 3))
    full = non_dominated_sort(losses)
    for n_below in (0, 1, 15, 100, 200):
        partial = non_dominated_sort(losses, n_below=n_below)
        ranked = partial < len(losses)
        assert ranked.sum() >= n_below
        np.testing.assert_array_equal(partial[ranked], full[ranked])
        # Stopped at a whole-front boundary: every unranked row is worse than every ranked one.
        if (~ranked).any():
            assert full[~ranked].min() > full[ranked].max(initial=-1)
            assert (partial[~ranked] == len(losses)).all()
            assert (ranked.sum() - np.count_nonzero(full == full[ranked].max(initial=0))) < n_below


def test_empty_input() -> None:
    empty = np.zeros((0, 2))
    assert non_dominated_sort(empty).shape == (0,)
    assert is_pareto_front(empty).shape == (0,)
    assert crowding_distance(empty).shape == (0,)


def test_dominates() -> None:
    assert dominates([1, 2], [1, 3])
    assert not dominates([1, 3], [1, 3])
    assert not dominates([0, 4], [1, 3])
    with pytest.raises(ValidationError, match="same length"):
        dominates([1, 2], [1, 2, 3])


def test_crowding_distance_hand_computed() -> None:
    # x range 4, y range 5. (1,3): 3/4 + 4/5 = 1.55; (3,1): 3/4 + 3/5 = 1.35.
    losses = np.array([[3.0, 1.0], [0.0, 5.0], [4.0, 0.0], [1.0, 3.0]])
    np.testing.assert_allclose(crowding_distance(losses), [1.35, np.inf, np.inf, 1.55], rtol=1e-12)


def test_crowding_distance_small_and_zero_range() -> None:
    np.testing.assert_array_equal(crowding_distance([[1.0, 2.0], [2.0, 1.0]]), [np.inf, np.inf])
    # Second objective constant: it is skipped, only the first one spreads the points.
    losses = np.array([[0.0, 1.0], [1.0, 1.0], [3.0, 1.0]])
    np.testing.assert_allclose(crowding_distance(losses), [np.inf, 1.0, np.inf])
    np.testing.assert_array_equal(crowding_distance(np.ones((4, 2))), np.zeros(4))


def test_constrained_non_dominated_sort_hand_built() -> None:
    losses = np.array(
        [
            [1.0, 1.0],  # infeasible, violation 2.0
            [2.0, 2.0],  # feasible, dominated by row 3 -> 1
            [5.0, 5.0],  # infeasible, violation 0.5
            [1.5, 1.5],  # feasible front -> 0
            [0.0, 9.0],  # feasible front -> 0
            [0.0, 0.0],  # infeasible, violation 2.0 (ties with row 0)
            [3.0, 0.1],  # feasible (negative violation counts as satisfied) -> 0
        ]
    )
    violations = np.array([2.0, 0.0, 0.5, 0.0, 0.0, 2.0, -1.0])
    ranks = constrained_non_dominated_sort(losses, violations)
    np.testing.assert_array_equal(ranks, [3, 1, 2, 0, 0, 3, 0])


def test_constrained_sort_all_infeasible_and_n_below() -> None:
    losses = np.array([[1.0, 1.0], [2.0, 2.0], [0.0, 0.0]])
    np.testing.assert_array_equal(constrained_non_dominated_sort(losses, [3.0, 1.0, 2.0]), [2, 0, 1])
    ranks = constrained_non_dominated_sort(losses, [0.0, 0.0, 1.0], n_below=1)
    np.testing.assert_array_equal(ranks, [0, 3, 3])
    with pytest.raises(ValidationError, match="violations must be a 1-D array"):
        constrained_non_dominated_sort(losses, [0.0, 1.0])
    with pytest.raises(ValidationError, match="violations must not be NaN"):
        constrained_non_dominated_sort(losses, [0.0, np.nan, 1.0])


@pytest.mark.parametrize(
    "bad", [[[1.0, np.nan]], [[np.inf, 0.0]], [[0.0, 1.0], [2.0, -np.inf]]], ids=["nan", "inf", "-inf"]
)
def test_non_finite_losses_rejected(bad: list[list[float]]) -> None:
    for func in (is_pareto_front, non_dominated_sort, crowding_distance):
        with pytest.raises(ValidationError, match=r"losses must be finite, but got losses\["):
            func(np.array(bad))


@pytest.mark.parametrize("shape", [(3,), (2, 0), (2, 2, 2)])
def test_bad_shapes_rejected(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValidationError, match="losses must be a 2-D array"):
        as_losses(np.zeros(shape))


@pytest.mark.parametrize("m", [1, 2, 3, 5])
@pytest.mark.parametrize("n", [0, 1, 2, 7, 60])
def test_unique_rows_matches_numpy(m: int, n: int) -> None:
    rng = np.random.default_rng(m * 100 + n)
    points = rng.integers(-2, 3, size=(n, m)).astype(float)  # small grid: many duplicate rows
    points[points == 0] = rng.choice([0.0, -0.0], size=int((points == 0).sum()))
    unique, inverse, counts = unique_rows(points)
    want, want_inverse, want_counts = np.unique(points, axis=0, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(unique, want)
    np.testing.assert_array_equal(inverse, want_inverse.reshape(-1))
    np.testing.assert_array_equal(counts, want_counts)
    np.testing.assert_array_equal(unique[inverse], points)

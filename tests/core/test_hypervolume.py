"""Tests of ragtune.core.hypervolume against exact grid, brute-force and Monte-Carlo references."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ragtune.core.hypervolume import front_contributions_2d, hypervolume, hypervolume_contributions
from ragtune.exceptions import ValidationError

# Exact references only differ from the implementation by floating-point summation order.
EXACT_RTOL = 1e-9


def grid_hypervolume(losses: np.ndarray, reference: np.ndarray) -> float:
    """Exact HV on the coordinate-compressed grid.

    The distinct coordinates of the points and the reference cut the box into cells; a cell is
    dominated as a whole iff some point is <= its lower corner, so summing dominated cell volumes is
    exact. Cost O((n+1)^m * n), for small n only.
    """
    inside = losses[np.all(losses < reference, axis=1)]
    if inside.shape[0] == 0:
        return 0.0
    m = losses.shape[1]
    axes = [np.unique(np.append(inside[:, k], reference[k])) for k in range(m)]
    lowers = np.stack(np.meshgrid(*[a[:-1] for a in axes], indexing="ij"), axis=-1).reshape(-1, m)
    widths = np.stack(np.meshgrid(*[np.diff(a) for a in axes], indexing="ij"), axis=-1).reshape(-1, m)
    dominated = np.any(np.all(inside[None, :, :] <= lowers[:, None, :], axis=2), axis=1)
    return float(np.prod(widths[dominated], axis=1).sum())


def random_front(rng: np.random.Generator, kind: str, n: int, m: int) -> np.ndarray:
    if kind == "cube":
        return rng.random((n, m))
    if kind == "sphere":
        # Mutually non-dominated points on the unit sphere's positive orthant, concave front.
        x = np.abs(rng.normal(size=(n, m)))
        return np.asarray(1.0 - x / np.linalg.norm(x, axis=1, keepdims=True))
    if kind == "integer":
        return rng.integers(0, 4, size=(n, m)).astype(float)
    raise AssertionError(kind)


@pytest.mark.parametrize("m", [2, 3, 4, 5])
@pytest.mark.parametrize("kind", ["cube", "sphere", "integer"])
def test_hypervolume_matches_exact_grid(m: int, kind: str) -> None:
    rng = np.random.default_rng(100 * m + len(kind))
    sizes = {2: (1, 5, 30), 3: (1, 5, 20), 4: (2, 6, 11), 5: (2, 6)}[m]
    for n in sizes:
        losses = random_front(rng, kind, n, m)
        # A reference that cuts some points off on some axes.
        reference = np.quantile(losses, 0.9, axis=0) + 0.05 if kind != "integer" else np.full(m, 3.0)
        expected = grid_hypervolume(losses, reference)
        assert hypervolume(losses, reference) == pytest.approx(expected, rel=EXACT_RTOL, abs=1e-300)


@pytest.mark.parametrize("m", [2, 3, 4])
def test_contributions_match_leave_one_out_brute_force(m: int) -> None:
    rng = np.random.default_rng(7 * m)
    for kind in ("cube", "sphere", "integer"):
        n = {2: 25, 3: 14, 4: 9}[m]
        losses = random_front(rng, kind, n, m)
        if kind == "cube":
            losses = np.concatenate([losses, losses[:2]])  # duplicates contribute nothing
        reference = np.full(m, 1.1) if kind != "integer" else np.full(m, 3.5)
        total = grid_hypervolume(losses, reference)
        expected = np.array(
            [total - grid_hypervolume(np.delete(losses, i, axis=0), reference) for i in range(len(losses))]
        )
        # Differences of exact volumes: the tolerance is relative to the total volume.
        np.testing.assert_allclose(
            hypervolume_contributions(losses, reference), expected, rtol=0, atol=EXACT_RTOL * total
        )


def test_hypervolume_and_contributions_hand_computed_2d() -> None:
    # Staircase (1,3), (2,2), (3,1) under reference (4,4): columns of height 1, 2, 3 -> area 6.
    # (3,3) is dominated and (5,0) lies outside the reference box: both add nothing.
    losses = np.array([[2.0, 2.0], [1.0, 3.0], [3.0, 3.0], [3.0, 1.0], [5.0, 0.0]])
    reference = np.array([4.0, 4.0])
    assert hypervolume(losses, reference) == 6.0
    np.testing.assert_array_equal(hypervolume_contributions(losses, reference), [1, 1, 0, 1, 0])
    # (2,2) is dominated by (1,1) alone: removing (1,1) leaves (2,2)'s unit square, so 4 - 1 = 3.
    np.testing.assert_array_equal(hypervolume_contributions([[1.0, 1.0], [2.0, 2.0]], [3.0, 3.0]), [3, 0])


def test_hypervolume_hand_computed_3d() -> None:
    # Two boxes of volume 1*2*2 = 4 and 2*1*2 = 4 overlapping in 1*1*1... under reference (2,2,2):
    # (0,1,1): [0,2)x[1,2)x[1,2) = 2; (1,0,0): [1,2)x[0,2)x[0,2) = 4; overlap [1,2)x[1,2)x[1,2) = 1.
    losses = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    assert hypervolume(losses, [2.0, 2.0, 2.0]) == 5.0
    np.testing.assert_allclose(hypervolume_contributions(losses, [2.0, 2.0, 2.0]), [1.0, 3.0])


def test_one_objective() -> None:
    losses = np.array([[3.0], [1.0], [2.0], [7.0]])
    assert hypervolume(losses, [5.0]) == 4.0
    np.testing.assert_array_equal(hypervolume_contributions(losses, [5.0]), [0, 1, 0, 0])


def test_nothing_inside_reference() -> None:
    losses = np.array([[1.0, 5.0], [5.0, 1.0], [4.0, 4.0]])
    assert hypervolume(losses, [4.0, 4.0]) == 0.0
    np.testing.assert_array_equal(hypervolume_contributions(losses, [4.0, 4.0]), np.zeros(3))
    assert hypervolume(np.zeros((0, 3)), [1.0, 1.0, 1.0]) == 0.0


@pytest.mark.parametrize("m", [3, 4])
def test_hypervolume_monte_carlo(m: int) -> None:
    rng = np.random.default_rng(2024 + m)
    losses = random_front(rng, "sphere", 40, m)
    reference = np.full(m, 1.0)
    lower = losses.min(axis=0)
    box = float(np.prod(reference - lower))
    n_samples = 200_000
    samples = lower + rng.random((n_samples, m)) * (reference - lower)
    hit = np.zeros(n_samples, dtype=bool)
    for p in losses:
        hit |= np.all(samples >= p, axis=1)
    fraction = hit.mean()
    # Binomial standard error of the hit fraction; 5 standard errors leave ~1e-6 false failures.
    tolerance = 5.0 * math.sqrt(fraction * (1.0 - fraction) / n_samples) * box
    assert abs(hypervolume(losses, reference) - fraction * box) <= tolerance


def test_validation_errors() -> None:
    with pytest.raises(ValidationError, match=r"reference must be a 1-D array of length n_objectives=2"):
        hypervolume(np.zeros((3, 2)), [1.0, 1.0, 1.0])
    with pytest.raises(ValidationError, match=r"reference must be finite"):
        hypervolume(np.zeros((3, 2)), [1.0, np.inf])
    with pytest.raises(ValidationError, match=r"losses must be finite, but got losses\[1\]"):
        hypervolume_contributions(np.array([[0.0, 0.0], [np.nan, 0.0]]), [1.0, 1.0])
    with pytest.raises(ValidationError, match=r"losses must be a 2-D array"):
        hypervolume(np.zeros(3), [1.0, 1.0, 1.0])


unit_floats = st.floats(min_value=0.0, max_value=1.0, allow_nan=False, allow_infinity=False)


@st.composite
def fronts(draw: st.DrawFn, *, min_n: int = 1) -> np.ndarray:
    m = draw(st.integers(min_value=2, max_value=5))
    n = draw(st.integers(min_value=min_n, max_value=8))
    return draw(arrays(np.float64, (n, m), elements=unit_floats))


@settings(max_examples=60, deadline=None)
@given(losses=fronts(), extra=st.data())
def test_adding_a_point_never_decreases_hypervolume(losses: np.ndarray, extra: st.DataObject) -> None:
    reference = np.ones(losses.shape[1])
    point = extra.draw(arrays(np.float64, (1, losses.shape[1]), elements=unit_floats))
    before = hypervolume(losses, reference)
    after = hypervolume(np.concatenate([losses, point]), reference)
    assert after >= before - 1e-12
    assert before == pytest.approx(grid_hypervolume(losses, reference), rel=EXACT_RTOL, abs=1e-15)


@settings(max_examples=60, deadline=None)
@given(losses=fronts(min_n=1))
def test_single_point_hypervolume_is_box_volume(losses: np.ndarray) -> None:
    point = losses[0]
    reference = np.full(losses.shape[1], 1.5)
    assert hypervolume(point[None, :], reference) == pytest.approx(math.prod(reference - point), rel=1e-12)
    np.testing.assert_allclose(
        hypervolume_contributions(point[None, :], reference), [math.prod(reference - point)], rtol=1e-12
    )


@pytest.mark.parametrize("seed", range(6))
def test_two_objective_front_contributions_equal_the_general_function(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = np.sort(rng.choice(np.linspace(0.0, 1.0, 12), size=rng.integers(1, 12), replace=False))
    front = np.column_stack([x, (1.0 - x) ** 2])  # y falls as x grows: one front
    front = front[rng.integers(0, len(front), size=len(front) + 3)]  # duplicates, shuffled
    got = front_contributions_2d(front, np.array([1.1, 1.1]))
    want = hypervolume_contributions(front, np.array([1.1, 1.1]))
    np.testing.assert_array_equal(got, want)  # same arithmetic: equal, not just close
    assert (got[[np.sum(np.all(front == r, axis=1)) > 1 for r in front]] == 0).all()

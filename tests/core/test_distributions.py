"""Distributions: validation messages, containment, internal/external round trips, JSON."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ragtune.core.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    check_compatible,
    distribution_from_json,
)
from ragtune.exceptions import DistributionConflictError, DistributionError


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: FloatDistribution(low=2.0, high=1.0), "low must be <= high, but got low=2.0, high=1.0"),
        (lambda: IntDistribution(low=5, high=1), "low must be <= high, but got low=5, high=1"),
        (lambda: FloatDistribution(low=0.0, high=1.0, log=True), "log=True needs low > 0, but got low=0.0"),
        (lambda: FloatDistribution(low=-1.0, high=1.0, log=True), "log=True needs low > 0"),
        (lambda: IntDistribution(low=0, high=8, log=True), "log=True needs low >= 1, but got low=0"),
        (lambda: IntDistribution(low=0, high=10, step=3), "step must divide high - low"),
        (lambda: FloatDistribution(low=0.0, high=1.0, step=0.3), "step must divide high - low"),
        (lambda: FloatDistribution(low=0.0, high=1.0, step=-0.5), "step must be > 0"),
        (lambda: CategoricalDistribution(choices=()), "choices must not be empty"),
        (lambda: CategoricalDistribution(choices=("a", "a")), "choices must be unique"),
        (lambda: FloatDistribution(low=0.1, high=1.0, step=0.1, log=True), "step and log=True"),
    ],
)
def test_bad_distributions_raise_one_line_errors(factory, message):
    with pytest.raises(DistributionError) as info:
        factory()
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_step_error_suggests_a_fix():
    with pytest.raises(DistributionError, match="use high=9"):
        IntDistribution(low=0, high=10, step=3)


def test_contains_and_round_trip():
    d = IntDistribution(low=128, high=1024, step=64)
    assert d.contains(192) and not d.contains(200) and not d.contains(True)
    assert d.to_external(d.to_internal(448)) == 448
    assert d.to_external(1e9) == 1024
    f = FloatDistribution(low=0.0, high=1.0, step=0.25)
    assert f.to_external(0.6) == 0.5
    c = CategoricalDistribution(choices=("bm25", "dense", None, 3))
    assert c.to_internal("dense") == 1.0 and c.to_external(2.0) is None
    assert c.contains(3) and not c.contains("hybrid")
    # bool and int choices are distinct
    b = CategoricalDistribution(choices=(True, 1))
    assert b.to_internal(1) == 1.0 and b.to_internal(True) == 0.0


@pytest.mark.parametrize(
    "dist",
    [
        FloatDistribution(low=1e-5, high=1e-2, log=True),
        FloatDistribution(low=0.0, high=2.0, step=0.5),
        IntDistribution(low=1, high=100, log=True),
        IntDistribution(low=0, high=12, step=4),
        CategoricalDistribution(choices=("a", 1, 2.5, None, False)),
    ],
)
def test_json_round_trip(dist):
    assert distribution_from_json(dist.to_json()) == dist


def test_compatibility_across_trials():
    a = IntDistribution(low=64, high=128)
    b = IntDistribution(low=16, high=48)
    check_compatible("overlap", a, b)  # a range may change (conditional spaces)
    with pytest.raises(DistributionConflictError) as info:
        check_compatible("overlap", a, FloatDistribution(low=16.0, high=48.0))
    assert "IntDistribution(low=64" in str(info.value) and "FloatDistribution(low=16.0" in str(info.value)
    with pytest.raises(DistributionConflictError, match="choices"):
        check_compatible(
            "r",
            CategoricalDistribution(choices=("bm25", "dense")),
            CategoricalDistribution(choices=("bm25", "hybrid")),
        )


@settings(max_examples=200, deadline=None)
@given(
    low=st.integers(-1000, 1000),
    width=st.integers(0, 50),
    step=st.integers(1, 7),
    x=st.floats(-1e4, 1e4, allow_nan=False),
)
def test_int_to_external_always_inside(low, width, step, x):
    d = IntDistribution(low=low, high=low + width * step, step=step)
    v = d.to_external(x)
    assert d.contains(v)
    assert distribution_from_json(d.to_json()) == d


_INTERNALS = st.lists(
    st.one_of(st.floats(-1e4, 1e4, allow_nan=False), st.integers(-50, 50).map(float)), min_size=1, max_size=20
)


@settings(max_examples=150, deadline=None)
@given(
    low=st.integers(-1000, 1000),
    width=st.integers(0, 50),
    step=st.integers(1, 7),
    internals=_INTERNALS,
)
def test_int_column_decodes_like_each_value(low, width, step, internals):
    d = IntDistribution(low=low, high=low + width * step, step=step)
    got = d.to_external_many(np.array(internals))
    want = [d.to_external(v) for v in internals]
    assert got == want and all(type(v) is int for v in got)


@settings(max_examples=150, deadline=None)
@given(
    low=st.floats(-100, 100, allow_nan=False),
    width=st.integers(1, 40),
    step=st.sampled_from([None, 0.5, 0.25, 3.0]),
    internals=_INTERNALS,
)
def test_float_column_decodes_like_each_value(low, width, step, internals):
    high = low + width * (step or 1.0)
    d = FloatDistribution(low=low, high=high, step=step)
    got = d.to_external_many(np.array(internals))
    assert got == [d.to_external(v) for v in internals]


def test_int_column_with_nan_or_huge_bounds_falls_back_to_each_value():
    huge = IntDistribution(low=0, high=2**60)
    assert huge.to_external_many(np.array([2.0**59, 3.0])) == [2**59, 3]
    with pytest.raises(ValueError):  # round(nan), as to_external raises
        IntDistribution(low=0, high=4).to_external_many(np.array([1.0, float("nan")]))


def test_categorical_column_decodes_like_each_value():
    d = CategoricalDistribution(choices=("bm25", 3, None, True, 0.5))
    internals = [4.0, 0.0, 2.0, 3.0, 1.0, 0.0]
    assert d.to_external_many(np.array(internals)) == [d.to_external(v) for v in internals]
    assert d.to_external_many(np.array(internals)) == [0.5, "bm25", None, True, 3, "bm25"]

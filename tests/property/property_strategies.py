"""Hypothesis strategies shared by the property tests: valid distributions and search spaces."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st

from ragtune.core.distributions import (
    AnyDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

#: Reproducible in CI: the same examples every run, nothing read from or written to a database.
FIXED = settings(derandomize=True, database=None, deadline=None, max_examples=60)

_bounded = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def float_distributions(draw: st.DrawFn) -> FloatDistribution:
    kind = draw(st.sampled_from(["plain", "log", "step"]))
    if kind == "log":
        low = draw(st.floats(min_value=1e-8, max_value=1e4))
        high = low * draw(st.floats(min_value=1.0, max_value=1e4))
        return FloatDistribution(low=low, high=high, log=True)
    low = draw(_bounded)
    if kind == "step":
        step = draw(st.sampled_from([0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0]))
        n = draw(st.integers(0, 200))
        return FloatDistribution(low=low, high=low + n * step, step=step)
    high = low + draw(st.floats(min_value=0.0, max_value=1e6))
    return FloatDistribution(low=low, high=high)


@st.composite
def int_distributions(draw: st.DrawFn) -> IntDistribution:
    if draw(st.booleans()):
        low = draw(st.integers(1, 10_000))
        return IntDistribution(low=low, high=low + draw(st.integers(0, 100_000)), log=True)
    low = draw(st.integers(-100_000, 100_000))
    step = draw(st.integers(1, 64))
    return IntDistribution(low=low, high=low + step * draw(st.integers(0, 500)), step=step)


_choice = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=12),
)


def _key(value: Any) -> tuple[str, Any]:
    # Choices are unique by (type, value); -0.0 and 0.0 are equal floats, so they count as one.
    return (type(value).__name__, value + 0.0 if isinstance(value, float) else value)


categorical_distributions = st.lists(_choice, min_size=1, max_size=8, unique_by=_key).map(
    lambda choices: CategoricalDistribution(choices=tuple(choices))
)

distributions: st.SearchStrategy[AnyDistribution] = st.one_of(
    float_distributions(), int_distributions(), categorical_distributions
)

#: A search space: parameter names to distributions (the names are what the samplers see).
spaces = st.dictionaries(
    st.sampled_from(["lr", "chunk_size", "overlap", "k", "retriever", "alpha", "temperature", "top_p"]),
    distributions,
    min_size=1,
    max_size=5,
)


def finite(x: float) -> bool:
    return math.isfinite(x)

"""Distributions: JSON round trips, external values always inside, constructors fail only with DistributionError."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ragtune.core.distributions import (
    AnyDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    distribution_from_dict,
    distribution_from_json,
)
from ragtune.exceptions import DistributionError

sys.path.insert(0, str(Path(__file__).parent))
from property_strategies import FIXED, categorical_distributions, distributions


def same_choice(a: Any, b: Any) -> bool:
    return type(a) is type(b) and (a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b)))


@FIXED
@given(dist=distributions)
def test_json_round_trip_is_exact(dist: AnyDistribution) -> None:
    text = dist.to_json()
    back = distribution_from_json(text)
    assert back == dist and type(back) is type(dist)
    assert distribution_from_dict(json.loads(text)) == dist
    assert back.to_json() == text  # stable: a second round trip gives the same bytes
    if isinstance(dist, CategoricalDistribution):
        # bool stays bool, int stays int: True and 1 are different choices.
        assert all(same_choice(a, b) for a, b in zip(dist.choices, back.choices, strict=True))  # type: ignore[union-attr]


@FIXED
@given(dist=distributions, x=st.floats(allow_nan=False, allow_infinity=False))
def test_to_external_of_any_internal_value_is_inside(dist: AnyDistribution, x: float) -> None:
    if isinstance(dist, CategoricalDistribution):
        x = float(int(abs(x)) % len(dist.choices)) if math.isfinite(x) and abs(x) < 1e15 else 0.0
    value = dist.to_external(x)
    assert dist.contains(value), (dist, x, value)
    if isinstance(dist, IntDistribution):
        assert type(value) is int
    if isinstance(dist, FloatDistribution):
        assert type(value) is float


@FIXED
@given(dist=distributions, data=st.data())
def test_inside_values_round_trip_through_the_internal_representation(
    dist: AnyDistribution, data: Any
) -> None:
    if isinstance(dist, CategoricalDistribution):
        value = data.draw(st.sampled_from(dist.choices))
        assert same_choice(dist.to_external(dist.to_internal(value)), value)
        return
    if isinstance(dist, IntDistribution):
        value = dist.low + dist.step * data.draw(st.integers(0, (dist.high - dist.low) // dist.step))
        assert dist.contains(value) and dist.to_external(dist.to_internal(value)) == value
        return
    value = data.draw(st.floats(min_value=dist.low, max_value=dist.high))
    if dist.step is not None:
        value = dist.to_external(value)
    assert dist.contains(value)
    assert dist.to_external(dist.to_internal(value)) == value


_any_number = st.one_of(
    st.floats(), st.integers(-(10**20), 10**20), st.none(), st.booleans(), st.text(max_size=3)
)


@FIXED
@given(low=_any_number, high=_any_number, step=_any_number, log=st.one_of(st.booleans(), _any_number))
def test_constructors_accept_or_raise_distribution_error_only(
    low: Any, high: Any, step: Any, log: Any
) -> None:
    for build in (
        lambda: FloatDistribution(low=low, high=high, step=step, log=log),
        lambda: IntDistribution(low=low, high=high, step=1 if step is None else step, log=log),
    ):
        try:
            dist = build()
        except DistributionError as e:
            assert str(e) and "\n" not in str(e)
        else:
            assert dist.low <= dist.high
            assert dist.contains(dist.to_external(dist.low))


@FIXED
@given(
    choices=st.lists(
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.floats(),
            st.text(max_size=2),
            st.lists(st.integers(), max_size=2),
        ),
        max_size=6,
    )
)
def test_categorical_constructor_accepts_or_raises_distribution_error_only(choices: list[Any]) -> None:
    try:
        dist = CategoricalDistribution(choices=tuple(choices))
    except DistributionError as e:
        assert str(e) and "\n" not in str(e)
    else:
        assert len(dist.choices) == len(choices)
        for c in choices:
            if not (isinstance(c, float) and math.isnan(c)):
                assert dist.contains(c)


@FIXED
@given(dist=categorical_distributions)
def test_categorical_index_is_type_exact(dist: CategoricalDistribution) -> None:
    for i, choice in enumerate(dist.choices):
        if isinstance(choice, float) and math.isnan(choice):
            continue
        assert dist.to_external(float(dist.index(choice))) is choice or same_choice(
            dist.to_external(float(dist.index(choice))), choice
        )
        assert dist.index(choice) == i

"""The constraint-expression and objective-spec parsers: round trips and spelling variants.

tests/objectives/test_objective_specs.py checks that arbitrary text only ever raises ConfigError; here every
valid spec, however it is spaced, cased or written (``≤``), parses to the same constraint, and printing
a parsed spec gives text that parses back to it.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from ragtune.objectives.catalogue import METRICS
from ragtune.objectives.specs import Constraint, parse_constraint, parse_objective

sys.path.insert(0, str(Path(__file__).parent))
from property_strategies import FIXED


@st.composite
def metric_specs(draw: st.DrawFn) -> str:
    info = draw(st.sampled_from(sorted(METRICS.values(), key=lambda i: i.name)))
    return f"{info.name}@{draw(st.integers(1, 10**6))}" if info.takes_k else info.name


bounds = st.one_of(
    st.integers(-(10**9), 10**9).map(float),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300),
)
ops = st.sampled_from(["<=", ">=", "<", ">"])
spaces = st.text(alphabet=" \t", max_size=3)


@FIXED
@given(metric=metric_specs(), op=ops, bound=bounds)
def test_printed_constraint_parses_back_to_itself(metric: str, op: str, bound: float) -> None:
    c = Constraint(metric, op, bound)  # type: ignore[arg-type]
    assert parse_constraint(str(c)) == c
    assert parse_constraint(f"{metric}{op}{bound!r}") == c


@FIXED
@given(
    metric=metric_specs(), op=ops, bound=bounds, a=spaces, b=spaces, c=spaces, d=spaces, upper=st.booleans()
)
def test_spacing_case_and_unicode_operators_do_not_matter(
    metric: str, op: str, bound: float, a: str, b: str, c: str, d: str, upper: bool
) -> None:
    canonical = parse_constraint(f"{metric} {op} {bound!r}")
    written = metric.upper() if upper else metric
    symbol = {"<=": "≤", ">=": "≥"}.get(op, op) if upper else op
    assert parse_constraint(f"{a}{written}{b}{symbol}{c}{bound!r}{d}") == canonical


@FIXED
@given(metric=metric_specs(), op=ops, bound=bounds, value=st.floats(allow_nan=False))
def test_violation_agrees_with_is_satisfied_and_the_comparison(
    metric: str, op: str, bound: float, value: float
) -> None:
    c = parse_constraint(f"{metric} {op} {bound!r}")
    v = c.violation(value)
    assert c.is_satisfied(value) == (v <= 0)
    if math.isfinite(value):
        assert (
            c.is_satisfied(value)
            == {"<=": value <= bound, ">=": value >= bound, "<": value < bound, ">": value > bound}[op]
        )
    assert c.violation(math.nan) == math.inf


@FIXED
@given(
    metric=metric_specs(),
    direction=st.sampled_from(["", ":max", ":min", ":MAXIMIZE", ":minimise"]),
    pad=spaces,
)
def test_objective_specs_round_trip(metric: str, direction: str, pad: str) -> None:
    o = parse_objective(f"{pad}{metric}{direction}")
    assert parse_objective(str(o)) == o
    assert o.name == metric.lower()

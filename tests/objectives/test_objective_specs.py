"""Objective specs and constraint expressions: valid forms, error messages, and robustness on any text."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ragtune.exceptions import ConfigError
from ragtune.objectives.catalogue import METRICS
from ragtune.objectives.specs import (
    Constraint,
    Objective,
    parse_constraint,
    parse_constraints,
    parse_objective,
    parse_objectives,
)

VALID = (
    "recall@k, precision@k, hit@k, mrr@k, ndcg@k, map@k, exact_match, f1, answer_in_context, "
    "latency_p50_ms, latency_p90_ms, latency_p95_ms, latency_p99_ms, latency_mean_ms, index_seconds, "
    "safety_pass_rate, tokens, tokens_in, tokens_out, cost_usd"
)
FORM = "expected '<metric> <op> <number>' with op one of <=, >=, <, > (e.g. 'latency_p95_ms <= 200')"


@pytest.mark.parametrize(
    ("spec", "name", "k", "direction", "per_question"),
    [
        ("ndcg@10:max", "ndcg@10", 10, "maximize", True),
        ("recall@5", "recall@5", 5, "maximize", True),
        ("hit@3", "hit@3", 3, "maximize", True),
        ("mrr@10", "mrr@10", 10, "maximize", True),
        ("map@100", "map@100", 100, "maximize", True),
        ("precision@1", "precision@1", 1, "maximize", True),
        ("latency_p95_ms:min", "latency_p95_ms", None, "minimize", False),
        ("latency_p50_ms", "latency_p50_ms", None, "minimize", False),
        ("latency_mean_ms", "latency_mean_ms", None, "minimize", True),
        ("index_seconds:min", "index_seconds", None, "minimize", False),
        ("safety_pass_rate:max", "safety_pass_rate", None, "maximize", True),
        ("exact_match", "exact_match", None, "maximize", True),
        ("f1", "f1", None, "maximize", True),
        ("answer_in_context", "answer_in_context", None, "maximize", True),
        ("tokens:min", "tokens", None, "minimize", True),
        ("cost_usd:min", "cost_usd", None, "minimize", True),
        (" NDCG@10 : MAXIMIZE ", "ndcg@10", 10, "maximize", True),
        ("ndcg@10:min", "ndcg@10", 10, "minimize", True),
    ],
)
def test_parse_objective(spec: str, name: str, k: int | None, direction: str, per_question: bool) -> None:
    objective = parse_objective(spec)
    assert (objective.name, objective.k, objective.direction, objective.per_question) == (
        name,
        k,
        direction,
        per_question,
    )
    assert objective.metric == name.split("@")[0]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("ndgc@10", f"unknown objective 'ndgc@10'; did you mean 'ndcg@10'? valid: {VALID}"),
        ("latncy_p95_ms:min", "unknown objective 'latncy_p95_ms'; did you mean 'latency_p95_ms'? valid: "),
        ("bleu", f"unknown objective 'bleu'; valid: {VALID}"),
        ("", "unknown objective ''; valid: "),
        ("ndcg", "ndcg needs a cutoff k, but got 'ndcg'; write for example 'ndcg@10'"),
        ("ndcg@0", "the cutoff k must be an integer >= 1, but got k='0' in 'ndcg@0'"),
        ("ndcg@x:max", "the cutoff k must be an integer >= 1, but got k='x' in 'ndcg@x:max'"),
        ("recall@-3", "the cutoff k must be an integer >= 1, but got k='-3'"),
        ("f1@5", "f1 takes no cutoff, but got 'f1@5'; write 'f1'"),
        (
            "ndcg@10:up",
            "direction must be one of max, maximize, min, minimize, but got 'up' in objective 'ndcg@10:up'",
        ),
        ("ndcg@10:", "direction must be one of max, maximize, min, minimize, but got ''"),
        (42, "an objective must be a string like 'ndcg@10:max' or an Objective, but got 42"),
    ],
)
def test_parse_objective_errors(spec: object, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_objective(spec)  # type: ignore[arg-type]
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_objective_built_directly() -> None:
    assert Objective("ndcg", k=10) == parse_objective("ndcg@10")
    assert Objective("NDCG@10") == parse_objective("ndcg@10:max")
    assert Objective("latency_p95_ms", direction="max").direction == "maximize"
    objective = Objective("recall", k=5)
    assert parse_objective(objective) is objective
    assert objective.kind == "retrieval" and objective.info is METRICS["recall"]
    assert len({Objective("ndcg", k=10), parse_objective("ndcg@10")}) == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        objective.k = 3  # type: ignore[misc]
    with pytest.raises(ConfigError, match="give the cutoff once, in metric or in k"):
        Objective("ndcg@10", k=5)
    with pytest.raises(ConfigError, match="k must be an integer >= 1, but got k=True"):
        Objective("ndcg", k=True)
    with pytest.raises(ConfigError, match="metric must be a string such as 'ndcg', but got metric=3"):
        Objective(3)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="latency_p95_ms takes no cutoff"):
        Objective("latency_p95_ms", k=5)


@pytest.mark.parametrize("metric", sorted(METRICS))
@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_objective_str_round_trips(metric: str, direction: str) -> None:
    objective = Objective(metric, k=7 if METRICS[metric].takes_k else None, direction=direction)
    assert parse_objective(str(objective)) == objective


def test_parse_objectives() -> None:
    parsed = parse_objectives(["ndcg@10", Objective("latency_p95_ms")])
    assert [o.name for o in parsed] == ["ndcg@10", "latency_p95_ms"]
    assert parse_objectives("f1") == (parse_objective("f1"),)
    with pytest.raises(
        ConfigError, match="each objective must be named once, but got ndcg@10 more than once"
    ):
        parse_objectives(["ndcg@10", "NDCG@10:min"])
    with pytest.raises(ConfigError, match="objectives must name at least one metric"):
        parse_objectives([])


@pytest.mark.parametrize(
    ("spec", "metric", "op", "bound"),
    [
        ("latency_p95_ms <= 200", "latency_p95_ms", "<=", 200.0),
        ("ndcg@10>=0.5", "ndcg@10", ">=", 0.5),
        ("  Recall@5 >  .25 ", "recall@5", ">", 0.25),
        ("latency_p50_ms < 1e3", "latency_p50_ms", "<", 1000.0),
        ("ndcg@10 ≥ 0.3", "ndcg@10", ">=", 0.3),
        ("cost_usd ≤ +0.01", "cost_usd", "<=", 0.01),
        ("index_seconds<-1", "index_seconds", "<", -1.0),
    ],
)
def test_parse_constraint(spec: str, metric: str, op: str, bound: float) -> None:
    constraint = parse_constraint(spec)
    assert (constraint.metric, constraint.op, constraint.bound) == (metric, op, bound)
    assert parse_constraint(str(constraint)) == constraint


@pytest.mark.parametrize(
    "spec",
    [
        "latency_p95_ms",
        "latency_p95_ms <=",
        "<= 200",
        "latency_p95_ms == 200",
        "latency_p95_ms => 200",
        "latency_p95_ms <= 200ms",
        "latency_p95_ms <= abc",
        "latency_p95_ms <= 200 300",
        "latency_p95_ms <= nan",
        "latency_p95_ms <= inf",
        "",
    ],
)
def test_malformed_constraint(spec: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_constraint(spec)
    assert str(info.value) == f"constraint {spec!r} is malformed; {FORM}"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "latency_p95_ms <= 1e999",
            "constraint 'latency_p95_ms <= 1e999' has a bound that is not a finite number",
        ),
        (
            "latncy_p95_ms <= 200",
            f"unknown metric 'latncy_p95_ms'; did you mean 'latency_p95_ms'? valid: {VALID}",
        ),
        ("ndcg <= 0.5", "ndcg needs a cutoff k, but got 'ndcg <= 0.5'; write for example 'ndcg@10'"),
        (None, "a constraint must be a string like 'latency_p95_ms <= 200' or a Constraint, but got None"),
    ],
)
def test_constraint_errors(spec: object, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_constraint(spec)  # type: ignore[arg-type]
    assert str(info.value).startswith(message)


def test_constraint_built_directly() -> None:
    assert Constraint("LATENCY_P95_MS", "<=", 200) == parse_constraint("latency_p95_ms <= 200")
    assert Constraint("ndcg@10", "≥", np.float32(0.5)).op == ">="  # type: ignore[arg-type]
    assert parse_constraints("f1 >= 0.5") == (parse_constraint("f1 >= 0.5"),)
    with pytest.raises(ConfigError, match="unknown metric 'x'"):
        Constraint("x", "<=", 1)
    with pytest.raises(
        ConfigError, match=re.escape("a constraint's op must be one of <=, >=, <, >, but got op='='")
    ):
        Constraint("f1", "=", 1)  # type: ignore[arg-type]
    for bad in (math.nan, math.inf, True, "1"):
        with pytest.raises(ConfigError, match="a constraint's bound must be a finite number"):
            Constraint("f1", "<=", bad)  # type: ignore[arg-type]


def test_violation() -> None:
    at_most = parse_constraint("latency_p95_ms <= 200")
    assert at_most.violation(250.0) == 50.0
    assert at_most.violation(200.0) == 0.0 and at_most.is_satisfied(200.0)
    assert at_most.violation(150.0) == -50.0
    at_least = parse_constraint("ndcg@10 >= 0.5")
    assert at_least.violation(0.4) == pytest.approx(0.1)
    assert at_least.violation(0.7) == pytest.approx(-0.2)
    below = parse_constraint("latency_p95_ms < 200")
    assert below.violation(200.0) > 0 and not below.is_satisfied(200.0)
    assert below.is_satisfied(math.nextafter(200.0, 0.0))
    above = parse_constraint("f1 > 0.5")
    assert above.violation(0.5) > 0 and above.is_satisfied(math.nextafter(0.5, 1.0))
    assert at_most.violation(math.nan) == math.inf


_finite = st.floats(allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(value=_finite, bound=_finite, op=st.sampled_from(["<=", ">=", "<", ">"]))
def test_violation_sign_matches_the_comparison(value: float, bound: float, op: str) -> None:
    constraint = Constraint("tokens", op, bound)  # type: ignore[arg-type]
    expected = {"<=": value <= bound, ">=": value >= bound, "<": value < bound, ">": value > bound}[op]
    assert constraint.is_satisfied(value) == expected


_near_constraints = st.from_regex(
    r"\A\s?[A-Za-z_@0-9é]{0,18}\s?(<=|>=|<|>|==|≤|≥|=<)?\s?[-+0-9.eE_a-z]{0,12}\s?\Z", fullmatch=True
)


@settings(max_examples=400, deadline=None)
@given(text=st.one_of(st.text(), _near_constraints))
def test_constraint_parser_raises_only_config_error(text: str) -> None:
    try:
        constraint = parse_constraint(text)
    except ConfigError as error:
        assert "\n" not in str(error)
    else:
        assert math.isfinite(constraint.bound) and constraint.op in ("<=", ">=", "<", ">")


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(), st.from_regex(r"\A[a-z_0-9]{0,16}(@[0-9x-]{0,4})?(:[a-z]{0,9})?\Z")))
def test_objective_parser_raises_only_config_error(text: str) -> None:
    with contextlib.suppress(ConfigError):
        parse_objective(text)

"""Latency percentiles, NaN-skipping means, pass rates and per-objective aggregation."""

from __future__ import annotations

import math

import pytest

from ragtune.exceptions import ValidationError
from ragtune.objectives.aggregate import (
    aggregate_objective,
    latency_percentile_ms,
    latency_summary,
    mean_ignoring_nan,
    safety_pass_rate,
)
from ragtune.objectives.specs import parse_objective


def test_mean_ignoring_nan() -> None:
    assert mean_ignoring_nan([1.0, math.nan, 0.0]) == 0.5
    assert math.isnan(mean_ignoring_nan([math.nan, math.nan]))
    assert math.isnan(mean_ignoring_nan([]))
    with pytest.raises(ValidationError, match="values must be finite or NaN, but got inf"):
        mean_ignoring_nan([1.0, math.inf])


def test_latency_percentile_is_numpy_linear() -> None:
    # position 0.95 * (4 - 1) = 2.85: 0.3 + 0.85 * (0.4 - 0.3) = 0.385 s
    assert latency_percentile_ms([0.4, 0.1, 0.3, 0.2], q=95) == pytest.approx(385.0)
    assert latency_percentile_ms([0.4, 0.1, math.nan], q=50) == pytest.approx(250.0)
    assert math.isnan(latency_percentile_ms([], q=50))
    with pytest.raises(ValidationError, match=r"q must be in \[0, 100\], but got q=101"):
        latency_percentile_ms([0.1], q=101)
    with pytest.raises(ValidationError, match=r"latencies must be >= 0 seconds, but got -0\.5"):
        latency_percentile_ms([0.1, -0.5], q=50)


def test_latency_summary() -> None:
    summary = latency_summary([0.010, 0.020, 0.030, 0.040, 1.0])
    assert summary.p50_ms == pytest.approx(30.0)
    assert summary.p95_ms == pytest.approx(40.0 + 0.8 * 960.0)  # position 0.95 * 4 = 3.8
    assert summary.mean_ms == pytest.approx(220.0)
    assert summary.count == 5
    empty = latency_summary([math.nan])
    assert empty.count == 0 and math.isnan(empty.p95_ms)


def test_safety_pass_rate() -> None:
    assert safety_pass_rate([True, False, True, True]) == 0.75
    assert math.isnan(safety_pass_rate([]))


def test_aggregate_objective() -> None:
    seconds = [0.010, 0.020, 0.030, 0.040, 1.0]
    summary = latency_summary(seconds)
    assert aggregate_objective(parse_objective("latency_p95_ms"), seconds) == pytest.approx(summary.p95_ms)
    assert aggregate_objective(parse_objective("latency_p50_ms"), seconds) == pytest.approx(summary.p50_ms)
    assert aggregate_objective(parse_objective("latency_mean_ms"), seconds) == pytest.approx(summary.mean_ms)
    assert aggregate_objective(parse_objective("ndcg@10"), [1.0, math.nan, 0.5]) == 0.75
    assert aggregate_objective(parse_objective("safety_pass_rate"), [1.0, 0.0, 0.0, 1.0]) == 0.5
    assert aggregate_objective(parse_objective("cost_usd"), [0.01, 0.03]) == pytest.approx(0.02)
    assert aggregate_objective(parse_objective("index_seconds"), [12.5]) == 12.5
    assert math.isnan(aggregate_objective(parse_objective("index_seconds"), []))
    with pytest.raises(ValidationError, match="index_seconds takes one value per trial, but got 2"):
        aggregate_objective(parse_objective("index_seconds"), [1.0, 2.0])
    with pytest.raises(ValidationError, match=r"latencies must be >= 0 seconds"):
        aggregate_objective(parse_objective("latency_mean_ms"), [-1.0])

"""Trial-level aggregates of per-question values: NaN-skipping means, latency percentiles, pass rates.

Percentiles use numpy's default ``method="linear"`` (Hyndman & Fan, "Sample quantiles in statistical
packages", The American Statistician 50(4), 1996, definition 7): with n sorted values the q-th percentile
sits at position (n - 1) * q / 100, interpolated linearly between its neighbours. NaN values (a query
that failed before it was timed, a question without judgments) are skipped; with nothing left the
aggregate is NaN.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ragtune.exceptions import ValidationError
from ragtune.objectives.specs import Objective

__all__ = [
    "LatencySummary",
    "aggregate_objective",
    "latency_percentile_ms",
    "latency_summary",
    "mean_ignoring_nan",
    "safety_pass_rate",
]


def _finite_or_nan(values: Iterable[float], *, name: str) -> npt.NDArray[np.float64]:
    array = np.asarray(list(values), dtype=np.float64).ravel()
    if np.isinf(array).any():
        raise ValidationError(f"{name} must be finite or NaN, but got {float(array[np.isinf(array)][0])!r}")
    return array[~np.isnan(array)]


def mean_ignoring_nan(values: Iterable[float]) -> float:
    """Mean of the values that are not NaN; NaN when there are none."""
    kept = _finite_or_nan(values, name="values")
    return float(kept.mean()) if kept.size else math.nan


def _latencies(seconds: Iterable[float]) -> npt.NDArray[np.float64]:
    kept = _finite_or_nan(seconds, name="latencies")
    if (kept < 0).any():
        raise ValidationError(f"latencies must be >= 0 seconds, but got {float(kept[kept < 0][0])!r}")
    return kept


def latency_percentile_ms(seconds: Iterable[float], *, q: float) -> float:
    """The q-th percentile (0..100, numpy linear) of per-query latencies given in seconds, in milliseconds."""
    if not 0.0 <= q <= 100.0:
        raise ValidationError(f"q must be in [0, 100], but got q={q!r}")
    kept = _latencies(seconds)
    return float(np.percentile(kept, q) * 1000.0) if kept.size else math.nan


@dataclass(frozen=True, slots=True)
class LatencySummary:
    """Per-query latency aggregates in milliseconds."""

    p50_ms: float
    p95_ms: float
    mean_ms: float
    count: int
    """Number of timed queries (NaN entries excluded)."""


def latency_summary(seconds: Iterable[float]) -> LatencySummary:
    """Median, 95th percentile and mean (ms) of per-query latencies given in seconds."""
    kept = _latencies(seconds)
    if not kept.size:
        return LatencySummary(math.nan, math.nan, math.nan, 0)
    p50, p95 = np.percentile(kept, [50.0, 95.0]) * 1000.0
    return LatencySummary(float(p50), float(p95), float(kept.mean() * 1000.0), int(kept.size))


def safety_pass_rate(passed: Iterable[bool]) -> float:
    """Share of questions whose guard verdict was "pass"; NaN when there are none."""
    verdicts = list(passed)
    if not verdicts:
        return math.nan
    return sum(1 for verdict in verdicts if verdict) / len(verdicts)


def aggregate_objective(objective: Objective, values: Iterable[float]) -> float:
    """The trial's value of ``objective`` from its raw per-question values.

    Raw units: scores in [0, 1] (NaN = skip), latencies in seconds, safety verdicts as 1.0 / 0.0, tokens
    and US dollars per question; for ``index_seconds`` the single build time. Means skip NaN,
    percentiles follow the module docstring, and latencies are reported in milliseconds.
    """
    info = objective.info
    if info.aggregation == "percentile":
        assert info.percentile is not None
        return latency_percentile_ms(values, q=info.percentile)
    if info.aggregation == "single":
        kept = _finite_or_nan(values, name=objective.name)
        if kept.size > 1:
            raise ValidationError(f"{objective.name} takes one value per trial, but got {kept.size}")
        return float(kept[0]) * info.scale if kept.size else math.nan
    kept = _latencies(values) if info.kind == "latency" else _finite_or_nan(values, name=objective.name)
    return float(kept.mean()) * info.scale if kept.size else math.nan

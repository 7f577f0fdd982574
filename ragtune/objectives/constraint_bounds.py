"""Is a constraint already broken, with confidence, on the questions seen so far?

The Tuner asks this at every rung but the last, and prunes a trial that is confidently infeasible:
its full-set value will break the bound too, so the remaining questions cannot make it a feasible
trade-off. One-sided tests at level ``alpha`` on the rung's per-question values, treated as a sample
of the eval set (the evaluator asks questions in a seeded shuffled order):

- a **mean** of per-question values (nDCG, recall, F1, safety pass rate, mean latency, tokens, cost):
  Student's t bound ``mean -/+ t_{1-alpha, n-1} * sd / sqrt(n)`` must lie beyond the bound;
- a **latency percentile** ``p_q``: the distribution-free binomial (sign) test for a quantile. With
  ``X`` of ``n`` latencies above ``b``, "``p_q <= b``" is rejected when ``P(Bin(n, 1 - q) >= X) <=
  alpha`` (a ``>=`` bound mirrors it). No normality is assumed, which suits skewed latencies;
- a **single** value per trial (``index_seconds``): known at the first rung, so broken means broken.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ragtune.objectives.specs import Constraint, parse_objective


def _mean_broken(values: Sequence[float], constraint: Constraint, alpha: float) -> bool:
    from scipy import stats

    x = np.asarray([v for v in values if math.isfinite(v)], dtype=float)
    if x.size < 2:
        return False
    mean = float(x.mean())
    half = float(stats.t.ppf(1.0 - alpha, x.size - 1)) * float(x.std(ddof=1)) / math.sqrt(x.size)
    if constraint.op in ("<=", "<"):
        return constraint.violation(mean - half) > 0
    return constraint.violation(mean + half) > 0


def _quantile_broken(values: Sequence[float], q: float, constraint: Constraint, alpha: float) -> bool:
    from scipy import stats

    x = np.asarray([v for v in values if math.isfinite(v)], dtype=float)
    n = int(x.size)
    if n == 0:
        return False
    if constraint.op in ("<=", "<"):
        above = int(np.count_nonzero([constraint.violation(v) > 0 for v in x]))
        # Under "the q-quantile meets the bound", a question's latency breaks it with chance <= 1 - q.
        return above > 0 and float(stats.binom.sf(above - 1, n, 1.0 - q)) <= alpha
    below = int(np.count_nonzero([constraint.violation(v) > 0 for v in x]))
    return below > 0 and float(stats.binom.sf(below - 1, n, q)) <= alpha


def confidently_broken(
    constraint: Constraint, raw: Sequence[float], value: float, *, alpha: float = 0.05
) -> bool:
    """True when ``constraint`` is broken at level ``alpha`` given the rung's per-question values
    ``raw`` (raw units, as the evaluator records them) and the rung's aggregate ``value``."""
    objective = parse_objective(constraint.metric)
    info = objective.info
    if info.aggregation == "single":
        return math.isfinite(value) and constraint.violation(value) > 0
    scaled = [v * info.scale for v in raw]
    if info.aggregation == "percentile":
        assert info.percentile is not None
        return _quantile_broken(scaled, info.percentile / 100.0, constraint, alpha)
    return _mean_broken(scaled, constraint, alpha)


__all__ = ["confidently_broken"]

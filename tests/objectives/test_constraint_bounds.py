"""Confidently broken constraints, checked against hand computations (t bound, binomial sign test)."""

from __future__ import annotations

import math

from ragtune.objectives.constraint_bounds import confidently_broken
from ragtune.objectives.specs import Constraint


def binom_tail(k: int, n: int, p: float) -> float:
    """P(Bin(n, p) >= k), summed by hand."""
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))


def test_latency_percentile_uses_the_sign_test() -> None:
    c = Constraint("latency_p95_ms", "<=", 200)
    # 35 questions; latencies in seconds (the evaluator's raw unit), 200 ms is the bound.
    fast = [0.05] * 35
    assert not confidently_broken(c, fast, 50.0)
    # 3 of 35 above: P(Bin(35, 0.05) >= 3) = 0.254 > 0.05 -> could still meet p95 <= 200 on the full set.
    assert binom_tail(3, 35, 0.05) > 0.05
    assert not confidently_broken(c, [0.3] * 3 + [0.05] * 32, 250.0)
    # 6 of 35 above: P(Bin(35, 0.05) >= 6) = 0.0097 <= 0.05 -> broken.
    assert binom_tail(6, 35, 0.05) < 0.05
    assert confidently_broken(c, [0.3] * 6 + [0.05] * 29, 300.0)
    # The smallest count that is broken agrees with the hand tail.
    first = next(k for k in range(1, 36) if confidently_broken(c, [0.3] * k + [0.05] * (35 - k), 300.0))
    assert binom_tail(first, 35, 0.05) <= 0.05 < binom_tail(first - 1, 35, 0.05)


def test_means_use_a_one_sided_t_bound() -> None:
    # x = 0.1, 0.2, 0.3, 0.4: mean 0.25, sd 0.1291, t(0.95, 3) = 2.3534 -> upper bound 0.4019.
    x = [0.1, 0.2, 0.3, 0.4]
    assert confidently_broken(Constraint("ndcg@10", ">=", 0.41), x, 0.25)
    assert not confidently_broken(Constraint("ndcg@10", ">=", 0.40), x, 0.25)
    # A lower-is-better mean: mean latency in ms (raw seconds): lower bound 0.0981 s = 98.1 ms.
    assert confidently_broken(Constraint("latency_mean_ms", "<=", 98), x, 250.0)
    assert not confidently_broken(Constraint("latency_mean_ms", "<=", 99), x, 250.0)
    assert not confidently_broken(Constraint("ndcg@10", ">=", 0.9), [0.1], 0.1)  # one question: no bound


def test_a_single_value_is_known() -> None:
    c = Constraint("index_seconds", "<=", 5)
    assert confidently_broken(c, [], 6.0) and not confidently_broken(c, [], 4.0)

"""LLM accounting for the evaluator: prices and cost, per-trial call/cache/token totals, pruning savings.

``cost_usd`` per question is ``prompt_tokens / 1000 * price_per_1k_input + completion_tokens / 1000 *
price_per_1k_output``. It is the cost of the configuration, so a call answered from the LLM-call cache
costs what it cost when it was made (as a replayed latency counts its measured time); what the cache
saved shows in the trial's ``llm`` record (``cache_hits``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ragtune.exceptions import ConfigError

__all__ = ["Prices", "attach_llm_cache", "pruning_savings", "usage_record"]


@dataclass(frozen=True, slots=True)
class Prices:
    """US dollars per 1,000 input (prompt) and output (completion) tokens; ``total`` applies to both."""

    per_1k_input: float = 0.0
    per_1k_output: float = 0.0

    def __post_init__(self) -> None:
        for name, value in (
            ("price_per_1k_input", self.per_1k_input),
            ("price_per_1k_output", self.per_1k_output),
        ):
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ConfigError(f"{name} must be a finite number of US dollars, but got {name}={value!r}")
            if value < 0:
                raise ConfigError(f"{name} must be >= 0 (US dollars per 1k tokens), but got {name}={value!r}")

    @property
    def set(self) -> bool:
        return self.per_1k_input > 0 or self.per_1k_output > 0

    def cost(self, tokens: Mapping[str, int]) -> float:
        return (
            tokens.get("prompt", 0) / 1000.0 * self.per_1k_input
            + tokens.get("completion", 0) / 1000.0 * self.per_1k_output
        )


def attach_llm_cache(pipeline: Any, cache: Any) -> None:
    """Give the pipeline's LLM reader the evaluator's cache (readers given their own keep it)."""
    use = getattr(getattr(pipeline, "reader", None), "use_cache", None)
    if cache is not None and callable(use):
        use(cache)


def usage_record(tokens: Sequence[Mapping[str, int]], cached: Sequence[bool | None]) -> dict[str, int] | None:
    """The trial's ``llm`` user attribute: calls, cache hits/misses, prompt/completion tokens; None
    when the reader used no tokens and no cache (not an LLM)."""
    calls = sum(1 for t in tokens if t)
    used_cache = [c for c in cached if c is not None]
    if not calls and not used_cache:
        return None
    return {
        "calls": calls,
        "cache_hits": sum(1 for c in used_cache if c),
        "cache_misses": sum(1 for c in used_cache if not c),
        "prompt_tokens": sum(t.get("prompt", 0) for t in tokens),
        "completion_tokens": sum(t.get("completion", 0) for t in tokens),
    }


def pruning_savings(tokens: Sequence[Mapping[str, int]], evaluated: int, total: int) -> dict[str, float]:
    """What stopping after ``evaluated`` of ``total`` questions saved: the questions not run, and the
    tokens they would have used at this trial's mean per question so far."""
    skipped = max(total - evaluated, 0)
    used = sum(sum(t.values()) for t in tokens)
    per_question = used / evaluated if evaluated else 0.0
    return {"questions": skipped, "tokens_estimate": round(per_question * skipped, 1)}

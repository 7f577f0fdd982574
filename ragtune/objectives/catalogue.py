"""The catalogue of metrics an objective or constraint can name, with direction, unit and aggregation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, TypeAlias

__all__ = ["METRICS", "Aggregation", "Direction", "MetricInfo", "MetricKind", "metric_display_names"]

Direction: TypeAlias = Literal["minimize", "maximize"]
MetricKind: TypeAlias = Literal["retrieval", "answer", "latency", "index", "safety", "usage"]
Aggregation: TypeAlias = Literal["mean", "percentile", "single"]


@dataclass(frozen=True, slots=True)
class MetricInfo:
    """What one metric measures and how its per-question values become the trial's value."""

    name: str
    """Name as written in specs, without the cutoff (``"ndcg"`` for ``"ndcg@10"``)."""
    kind: MetricKind
    """Which part of the pipeline produces the raw values."""
    direction: Direction
    """Default direction when the spec does not say ``:max`` / ``:min``."""
    takes_k: bool
    """Whether the spec needs a cutoff, ``name@k``."""
    per_question: bool
    """Whether the value is a mean of per-question values, so confidence bounds can be built from them."""
    aggregation: Aggregation
    """``mean`` ignoring NaN, a ``percentile`` (numpy's linear method), or one ``single`` value per trial."""
    percentile: float | None = None
    """The percentile in [0, 100] when ``aggregation == "percentile"``."""
    scale: float = 1.0
    """Factor from the raw unit to the reported unit (1000 for seconds measured, milliseconds reported)."""
    description: str = ""


def _retrieval(name: str, description: str) -> MetricInfo:
    return MetricInfo(name, "retrieval", "maximize", True, True, "mean", description=description)


def _latency(name: str, aggregation: Aggregation, percentile: float | None, description: str) -> MetricInfo:
    return MetricInfo(
        name,
        "latency",
        "minimize",
        False,
        aggregation == "mean",
        aggregation,
        percentile,
        1000.0,
        description,
    )


_ALL = (
    _retrieval("recall", "relevant documents in the top k over all relevant documents"),
    _retrieval("precision", "relevant documents in the top k over k"),
    _retrieval("hit", "share of questions with a relevant document in the top k"),
    _retrieval("mrr", "mean reciprocal rank of the first relevant document within the top k"),
    _retrieval("ndcg", "normalised discounted cumulative gain at k (trec_eval ndcg_cut)"),
    _retrieval("map", "mean average precision at k (trec_eval map_cut)"),
    MetricInfo(
        "exact_match",
        "answer",
        "maximize",
        False,
        True,
        "mean",
        description="SQuAD v1.1 exact match of the answer",
    ),
    MetricInfo(
        "f1", "answer", "maximize", False, True, "mean", description="SQuAD v1.1 token F1 of the answer"
    ),
    MetricInfo(
        "answer_in_context",
        "answer",
        "maximize",
        False,
        True,
        "mean",
        description="share of questions whose gold answer appears in the retrieved context",
    ),
    _latency("latency_p50_ms", "percentile", 50.0, "median query latency in milliseconds"),
    _latency("latency_p90_ms", "percentile", 90.0, "90th percentile query latency in milliseconds"),
    _latency("latency_p95_ms", "percentile", 95.0, "95th percentile query latency in milliseconds"),
    _latency("latency_p99_ms", "percentile", 99.0, "99th percentile query latency in milliseconds"),
    _latency("latency_mean_ms", "mean", None, "mean query latency in milliseconds"),
    MetricInfo(
        "index_seconds",
        "index",
        "minimize",
        False,
        False,
        "single",
        description="seconds spent building the index (chunking, embedding, indexing)",
    ),
    MetricInfo(
        "safety_pass_rate",
        "safety",
        "maximize",
        False,
        True,
        "mean",
        description="share of questions the guard let pass",
    ),
    MetricInfo(
        "tokens",
        "usage",
        "minimize",
        False,
        True,
        "mean",
        description="LLM tokens (prompt + completion) per question",
    ),
    MetricInfo(
        "tokens_in",
        "usage",
        "minimize",
        False,
        True,
        "mean",
        description="LLM prompt (input) tokens per question",
    ),
    MetricInfo(
        "tokens_out",
        "usage",
        "minimize",
        False,
        True,
        "mean",
        description="LLM completion (output) tokens per question",
    ),
    MetricInfo(
        "cost_usd",
        "usage",
        "minimize",
        False,
        True,
        "mean",
        description="LLM cost in US dollars per question, from the prices per 1k input/output tokens",
    ),
)

METRICS: Mapping[str, MetricInfo] = MappingProxyType({info.name: info for info in _ALL})
"""Every metric an objective or constraint may name, by name."""


def metric_display_names() -> list[str]:
    """The metric names as a user writes them, ``ndcg@k`` for metrics that take a cutoff."""
    return [f"{info.name}@k" if info.takes_k else info.name for info in METRICS.values()]

"""Objectives a RAG study optimises: retrieval and answer metrics, latency aggregates, spec parsing."""

from __future__ import annotations

from ragtune.objectives.aggregate import (
    LatencySummary,
    aggregate_objective,
    latency_percentile_ms,
    latency_summary,
    mean_ignoring_nan,
    safety_pass_rate,
)
from ragtune.objectives.answer import answer_in_context, exact_match, normalize_answer, token_f1
from ragtune.objectives.catalogue import METRICS, MetricInfo
from ragtune.objectives.results import (
    TrialResults,
    question_scores,
    study_constraints,
    trial_metrics,
    trial_results,
)
from ragtune.objectives.retrieval import (
    RETRIEVAL_METRICS,
    average_precision_at_k,
    dedupe_ranking,
    hit_at_k,
    mrr_at_k,
    ndcg_at_k,
    precision_at_k,
    rank_documents,
    recall_at_k,
)
from ragtune.objectives.specs import (
    Constraint,
    Objective,
    parse_constraint,
    parse_constraints,
    parse_objective,
    parse_objectives,
)

__all__ = [
    "METRICS",
    "RETRIEVAL_METRICS",
    "Constraint",
    "LatencySummary",
    "MetricInfo",
    "Objective",
    "TrialResults",
    "aggregate_objective",
    "answer_in_context",
    "average_precision_at_k",
    "dedupe_ranking",
    "exact_match",
    "hit_at_k",
    "latency_percentile_ms",
    "latency_summary",
    "mean_ignoring_nan",
    "mrr_at_k",
    "ndcg_at_k",
    "normalize_answer",
    "parse_constraint",
    "parse_constraints",
    "parse_objective",
    "parse_objectives",
    "precision_at_k",
    "question_scores",
    "rank_documents",
    "recall_at_k",
    "safety_pass_rate",
    "study_constraints",
    "token_f1",
    "trial_metrics",
    "trial_results",
]

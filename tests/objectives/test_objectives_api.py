"""The public API of ragtune.objectives is pinned, and importing it stays light."""

from __future__ import annotations

import subprocess
import sys

import ragtune.objectives

EXPECTED = {
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
}


def test_public_api_is_pinned() -> None:
    assert set(ragtune.objectives.__all__) == EXPECTED
    for name in EXPECTED:
        assert hasattr(ragtune.objectives, name), name


def test_retrieval_registry_covers_the_retrieval_catalogue() -> None:
    retrieval = {name for name, info in ragtune.objectives.METRICS.items() if info.kind == "retrieval"}
    assert retrieval == set(ragtune.objectives.RETRIEVAL_METRICS)


def test_import_does_not_pull_heavy_dependencies() -> None:
    heavy = ("pandas", "sqlalchemy", "duckdb", "textual")
    code = f"import sys, ragtune.objectives; print([m for m in {heavy!r} if m in sys.modules])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"

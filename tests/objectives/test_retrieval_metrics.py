"""Retrieval metrics agree with trec_eval (through pytrec_eval) on random graded runs with tied scores,
and MRR with the MS MARCO evaluator (through ir-measures) as a second, independent reference."""

from __future__ import annotations

import math

import numpy as np
import pytest
import pytrec_eval

from ragtune.exceptions import ValidationError
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

CUTOFFS = (1, 3, 5, 10, 100)
N_QUERIES = 300
# Ids whose string order differs from their numeric order ("d10" < "d2"), plus non-ASCII ids, so that the
# doc-id tie-break is exercised the way trec_eval's strcmp on UTF-8 bytes does it.
ID_POOL = [f"d{i}" for i in range(150)] + ["é1", "É2", "文3", "z", "Z", "_", "a-b", "ü"]


def _random_query(rng: np.random.Generator) -> tuple[dict[str, int], dict[str, float]]:
    pool = rng.permutation(ID_POOL)
    n_judged = int(rng.integers(1, 30))
    grades = rng.integers(0, 4, size=n_judged)
    if not (grades >= 1).any():
        grades[0] = int(rng.integers(1, 4))
    qrels = {str(doc): int(g) for doc, g in zip(pool[:n_judged], grades, strict=True)}
    # Retrieve judged and unjudged documents alike: a shuffled window of the pool.
    start = int(rng.integers(0, 20))
    n_ret = int(rng.integers(1, 130))
    retrieved = rng.permutation(pool[start : start + n_ret])
    if rng.random() < 0.5:
        scores = rng.integers(-2, 4, size=len(retrieved)) / 2.0  # few distinct values: many ties
    else:
        scores = np.round(rng.normal(size=len(retrieved)), 1)
    return qrels, {str(doc): float(s) for doc, s in zip(retrieved, scores, strict=True)}


@pytest.fixture(scope="module")
def random_runs() -> tuple[dict[str, dict[str, int]], dict[str, dict[str, float]]]:
    rng = np.random.default_rng(20240611)
    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, dict[str, float]] = {}
    for i in range(N_QUERIES):
        qrels[f"q{i}"], run[f"q{i}"] = _random_query(rng)
    return qrels, run


@pytest.fixture(scope="module")
def trec_results(
    random_runs: tuple[dict[str, dict[str, int]], dict[str, dict[str, float]]],
) -> dict[str, dict[str, float]]:
    qrels, run = random_runs
    cut = ",".join(str(k) for k in CUTOFFS)
    measures = {
        f"P.{cut}",
        f"recall.{cut}",
        f"success.{cut}",
        f"ndcg_cut.{cut}",
        f"map_cut.{cut}",
        "recip_rank",
    }
    results: dict[str, dict[str, float]] = pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(run)
    assert len(results) == N_QUERIES
    return results


TREC_NAMES = {"recall": "recall", "precision": "P", "hit": "success", "ndcg": "ndcg_cut", "map": "map_cut"}


@pytest.mark.parametrize("k", CUTOFFS)
@pytest.mark.parametrize("metric", sorted(TREC_NAMES))
def test_matches_trec_eval(
    metric: str,
    k: int,
    random_runs: tuple[dict[str, dict[str, int]], dict[str, dict[str, float]]],
    trec_results: dict[str, dict[str, float]],
) -> None:
    qrels, run = random_runs
    fn = RETRIEVAL_METRICS[metric]
    for qid in run:
        expected = trec_results[qid][f"{TREC_NAMES[metric]}_{k}"]
        assert fn(run[qid], qrels[qid], k=k) == pytest.approx(expected, abs=1e-9, rel=0), (qid, metric, k)


@pytest.mark.parametrize("k", CUTOFFS)
def test_mrr_matches_trec_eval_recip_rank_cut_at_k(
    k: int,
    random_runs: tuple[dict[str, dict[str, int]], dict[str, dict[str, float]]],
    trec_results: dict[str, dict[str, float]],
) -> None:
    qrels, run = random_runs
    for qid in run:
        rr = trec_results[qid]["recip_rank"]
        # The first relevant document is at rank 1 / rr; cutting the run at k keeps it only if 1 / rr <= k.
        expected = rr if rr > 0 and round(1 / rr) <= k else 0.0
        assert mrr_at_k(run[qid], qrels[qid], k=k) == pytest.approx(expected, abs=1e-9, rel=0), (qid, k)


def test_sequence_in_trec_order_gives_the_same_values(
    random_runs: tuple[dict[str, dict[str, int]], dict[str, dict[str, float]]],
) -> None:
    qrels, run = random_runs
    for qid in list(run)[:50]:
        ordered = rank_documents(run[qid])
        for fn in RETRIEVAL_METRICS.values():
            assert fn(ordered, qrels[qid], k=10) == fn(run[qid], qrels[qid], k=10)


def test_ties_are_broken_by_doc_id_descending() -> None:
    assert rank_documents({"d10": 1.0, "d2": 1.0, "é": 1.0, "z": 1.0, "a": 2.0, "b": 0.5}) == (
        "a",
        "é",
        "z",
        "d2",
        "d10",
        "b",
    )


def test_hand_computed_values() -> None:
    ranking = [
        "x",
        "a",
        "y",
        "b",
    ]  # relevant: a (grade 2) at rank 2, b (grade 1) at rank 4; c never retrieved
    qrels = {"a": 2, "b": 1, "c": 3, "y": 0}
    assert recall_at_k(ranking, qrels, k=3) == pytest.approx(1 / 3)
    assert precision_at_k(ranking, qrels, k=4) == pytest.approx(2 / 4)
    assert precision_at_k(ranking, qrels, k=10) == pytest.approx(2 / 10)  # divides by k, as trec_eval
    assert hit_at_k(ranking, qrels, k=1) == 0.0
    assert hit_at_k(ranking, qrels, k=2) == 1.0
    assert mrr_at_k(ranking, qrels, k=1) == 0.0
    assert mrr_at_k(ranking, qrels, k=5) == pytest.approx(0.5)
    assert average_precision_at_k(ranking, qrels, k=4) == pytest.approx((1 / 2 + 2 / 4) / 3)
    dcg = 2 / math.log2(3) + 1 / math.log2(5)
    ideal = 3 + 2 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(ranking, qrels, k=4) == pytest.approx(dcg / ideal)


def test_no_relevant_document_gives_nan() -> None:
    for fn in RETRIEVAL_METRICS.values():
        assert math.isnan(fn(["a", "b"], {"a": 0}, k=5))
        assert math.isnan(fn(["a", "b"], {}, k=5))


def test_empty_ranking_scores_zero() -> None:
    for fn in RETRIEVAL_METRICS.values():
        assert fn([], {"a": 1}, k=5) == 0.0
        assert fn({}, {"a": 1}, k=5) == 0.0


def test_dedupe_keeps_first_occurrence() -> None:
    assert dedupe_ranking(["b", "a", "b", "c", "a"]) == ("b", "a", "c")


@pytest.mark.parametrize(
    ("ranking", "k", "message"),
    [
        (["a", "b", "a"], 3, "ranking must not repeat a doc id, but got 'a' twice"),
        ("ab", 3, "but got the string 'ab'"),
        ({"a": math.nan}, 3, "scores must not be NaN"),
        (["a"], 0, "k must be an integer >= 1, but got k=0"),
        (["a"], True, "k must be an integer >= 1, but got k=True"),
    ],
)
def test_bad_input_is_a_validation_error(ranking: object, k: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ndcg_at_k(ranking, {"a": 1}, k=k)  # type: ignore[arg-type]


@pytest.mark.parametrize("k", CUTOFFS)
def test_mrr_matches_the_ms_marco_evaluator(k: int) -> None:
    """A second, independent reference: ir-measures' ``msmarco`` provider (the MS MARCO evaluation
    script's reciprocal rank, in Python, no trec_eval). Scores are distinct so both orders agree."""
    irm = pytest.importorskip("ir_measures")
    rng = np.random.default_rng(7)
    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, dict[str, float]] = {}
    for i in range(200):
        q, r = _random_query(rng)
        qrels[f"q{i}"] = q
        run[f"q{i}"] = {doc: float(s) for doc, s in zip(r, rng.permutation(len(r)) + 0.5, strict=True)}
    measure = irm.RR @ k
    got = {m.query_id: m.value for m in irm.msmarco.iter_calc([measure], qrels, run)}
    assert len(got) > 150  # queries with a relevant document retrieved somewhere
    for qid in run:
        expected = got.get(qid, 0.0)
        assert mrr_at_k(run[qid], qrels[qid], k=k) == pytest.approx(expected, abs=1e-12), (qid, k)

"""Per-question retrieval metrics at a cutoff k, computed exactly as trec_eval computes them.

Every metric takes one question's ranking and its graded judgments (``{doc_id: grade}``) and returns a
float. The definitions follow trec_eval 9.0 (the C code behind ``pytrec_eval``, which BEIR uses):

* **Ordering.** A ranking given as ``{doc_id: score}`` is ordered by score descending, ties broken by
  doc id descending. trec_eval ignores the rank column of a run and sorts this way itself (``strcmp`` on
  the doc ids; for UTF-8 bytes that is the same as Python's code-point order of ``str``). A ranking given
  as a sequence of doc ids is taken as already ordered, rank 1 first.
* **Relevance.** A document is relevant when its grade is >= :data:`RELEVANCE_THRESHOLD` (1), trec_eval's
  default ``relevance_level``. Unjudged documents count as non-relevant.
* **No relevant documents.** trec_eval and BEIR score only the queries present in the qrels. Here a
  question with no relevant document gets ``nan`` from every metric (there is nothing to find, so no
  score is honest); :func:`ragtune.objectives.aggregate.mean_ignoring_nan` then skips it, which is what
  BEIR's mean over qrels queries does for questions without judgments.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Protocol, TypeAlias

from ragtune.exceptions import ValidationError

__all__ = [
    "RELEVANCE_THRESHOLD",
    "RETRIEVAL_METRICS",
    "Qrels",
    "Ranking",
    "RetrievalMetric",
    "average_precision_at_k",
    "dedupe_ranking",
    "hit_at_k",
    "mrr_at_k",
    "ndcg_at_k",
    "precision_at_k",
    "rank_documents",
    "recall_at_k",
]

RELEVANCE_THRESHOLD = 1
"""Smallest grade that counts as relevant for the binary metrics (trec_eval's ``relevance_level``)."""

Ranking: TypeAlias = Sequence[str] | Mapping[str, float]
"""Doc ids in rank order, or ``{doc_id: score}`` to be ordered as trec_eval orders a run."""

Qrels: TypeAlias = Mapping[str, int]
"""One question's graded judgments, ``{doc_id: grade}``; grade >= 1 is relevant."""


class RetrievalMetric(Protocol):
    """The shape every metric here has: ``metric(ranking, qrels, *, k) -> float``."""

    def __call__(self, ranking: Ranking, qrels: Qrels, /, *, k: int) -> float: ...


def rank_documents(scores: Mapping[str, float]) -> tuple[str, ...]:
    """Order doc ids as trec_eval does: by score descending, then by doc id descending."""
    for doc_id, score in scores.items():
        if math.isnan(score):
            raise ValidationError(f"scores must not be NaN, but got scores[{doc_id!r}]=nan")
    return tuple(sorted(scores, key=lambda doc_id: (scores[doc_id], doc_id), reverse=True))


def dedupe_ranking(doc_ids: Iterable[str]) -> tuple[str, ...]:
    """Keep the first (best-ranked) occurrence of each doc id, e.g. when several chunks hit one document."""
    return tuple(dict.fromkeys(doc_ids))


def _ordered(ranking: Ranking) -> Sequence[str]:
    if isinstance(ranking, str):
        raise ValidationError(
            "ranking must be a sequence of doc ids or a {doc_id: score} mapping, "
            f"but got the string {ranking!r}"
        )
    if isinstance(ranking, Mapping):
        return rank_documents(ranking)
    seen: set[str] = set()
    for doc_id in ranking:
        if doc_id in seen:
            raise ValidationError(
                f"ranking must not repeat a doc id, but got {doc_id!r} twice; "
                "collapse chunk hits to documents with dedupe_ranking() first"
            )
        seen.add(doc_id)
    return ranking


def _check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValidationError(f"k must be an integer >= 1, but got k={k!r}")


def _top_grades(ranking: Ranking, qrels: Qrels, k: int) -> tuple[list[int], int]:
    """Grades of the top-k documents (0 when unjudged) and the number of relevant documents."""
    _check_k(k)
    top = _ordered(ranking)[:k]
    n_relevant = sum(1 for grade in qrels.values() if grade >= RELEVANCE_THRESHOLD)
    return [qrels.get(doc_id, 0) for doc_id in top], n_relevant


def recall_at_k(ranking: Ranking, qrels: Qrels, *, k: int) -> float:
    """Relevant documents in the top k over all relevant documents (trec_eval ``recall_k``)."""
    grades, n_relevant = _top_grades(ranking, qrels, k)
    if n_relevant == 0:
        return math.nan
    return sum(1 for g in grades if g >= RELEVANCE_THRESHOLD) / n_relevant


def precision_at_k(ranking: Ranking, qrels: Qrels, *, k: int) -> float:
    """Relevant documents in the top k over k, even when fewer than k were retrieved (trec_eval ``P_k``)."""
    grades, n_relevant = _top_grades(ranking, qrels, k)
    if n_relevant == 0:
        return math.nan
    return sum(1 for g in grades if g >= RELEVANCE_THRESHOLD) / k


def hit_at_k(ranking: Ranking, qrels: Qrels, *, k: int) -> float:
    """1.0 when a relevant document is in the top k, else 0.0 (trec_eval ``success_k``)."""
    grades, n_relevant = _top_grades(ranking, qrels, k)
    if n_relevant == 0:
        return math.nan
    return 1.0 if any(g >= RELEVANCE_THRESHOLD for g in grades) else 0.0


def mrr_at_k(ranking: Ranking, qrels: Qrels, *, k: int) -> float:
    """Reciprocal rank of the first relevant document, 0.0 when none is in the top k.

    trec_eval's ``recip_rank`` over the run cut at k; the mean over questions is MRR@k.
    """
    grades, n_relevant = _top_grades(ranking, qrels, k)
    if n_relevant == 0:
        return math.nan
    for rank, grade in enumerate(grades, start=1):
        if grade >= RELEVANCE_THRESHOLD:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranking: Ranking, qrels: Qrels, *, k: int) -> float:
    """Normalised discounted cumulative gain at k (trec_eval ``ndcg_cut_k``, as BEIR reports it).

    Järvelin & Kekäläinen, "Cumulated gain-based evaluation of IR techniques", TOIS 20(4), 2002, with
    trec_eval 9.0's choices: gain is the grade (grades <= 0 give no gain), the document at rank r is
    discounted by log2(r + 1), and the ideal ranking sorts every judged document of positive grade by
    grade, whether or not it was retrieved, and is cut at k too.
    """
    grades, n_relevant = _top_grades(ranking, qrels, k)
    if n_relevant == 0:
        return math.nan
    # n_relevant > 0 means some grade is >= 1, so the ideal DCG is positive.
    ideal = sorted((g for g in qrels.values() if g > 0), reverse=True)[:k]
    return _dcg(grades) / _dcg(ideal)


def _dcg(gains: Iterable[int]) -> float:
    return sum(g / math.log2(rank + 1) for rank, g in enumerate(gains, start=1) if g > 0)


def average_precision_at_k(ranking: Ranking, qrels: Qrels, *, k: int) -> float:
    """Average precision over the top k (trec_eval ``map_cut_k``, BEIR's MAP@k).

    Sum of precision@r at each rank r <= k holding a relevant document, divided by the number of
    relevant documents in the qrels (not by min(k, that number)), as trec_eval does.
    """
    grades, n_relevant = _top_grades(ranking, qrels, k)
    if n_relevant == 0:
        return math.nan
    found = 0
    total = 0.0
    for rank, grade in enumerate(grades, start=1):
        if grade >= RELEVANCE_THRESHOLD:
            found += 1
            total += found / rank
    return total / n_relevant


RETRIEVAL_METRICS: Mapping[str, RetrievalMetric] = MappingProxyType(
    {
        "recall": recall_at_k,
        "precision": precision_at_k,
        "hit": hit_at_k,
        "mrr": mrr_at_k,
        "ndcg": ndcg_at_k,
        "map": average_precision_at_k,
    }
)
"""Metric name as written in objective specs (``"ndcg"`` in ``"ndcg@10"``) to its function."""

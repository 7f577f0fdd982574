"""Per-question results of a trial (scores, retrieved vs relevant documents, answer vs gold), and diffs.

The one place that knows where ragtune keeps per-question data: the trial's ``"per_question"``
record (question ids, latency, scores per metric, retrieved document ids, answers; written by the
evaluator) and the study's ``"ragtune:questions"`` system attribute (question text, relevant
documents, gold answers; written once by the Tuner). Each is looked up in the user attrs and the
system attrs, so the views keep working when the bookkeeping moves.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ragtune.core.frozen_trial import FrozenTrial
from ragtune.objectives.results import question_scores

__all__ = [
    "GOLD_ATTR",
    "QuestionDiff",
    "QuestionResult",
    "question_diff",
    "question_gold",
    "question_metrics",
    "question_results",
    "worst_questions",
]

GOLD_ATTR = "ragtune:questions"
_RECORD_KEYS = ("per_question", "ragtune:per_question")


@dataclass(frozen=True, slots=True)
class QuestionResult:
    """One question as one trial answered it."""

    question_id: str
    scores: Mapping[str, float]
    latency_s: float
    retrieved: tuple[str, ...] = ()
    answer: str | None = None
    text: str = ""
    relevant: tuple[str, ...] = ()
    gold: tuple[str, ...] = ()

    @property
    def hits(self) -> tuple[str, ...]:
        """Retrieved documents that are relevant, in ranking order."""
        rel = set(self.relevant)
        return tuple(d for d in self.retrieved if d in rel)

    @property
    def missed(self) -> tuple[str, ...]:
        """Relevant documents that were not retrieved."""
        got = set(self.retrieved)
        return tuple(d for d in self.relevant if d not in got)


def _lookup(attrs: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> Any:
    for a in attrs:
        for k in keys:
            if k in a:
                return a[k]
    return None


def question_gold(
    study_user_attrs: Mapping[str, Any], study_system_attrs: Mapping[str, Any]
) -> dict[str, Any]:
    """``{question id: {"text", "relevant", "answers"}}`` stored with the study (empty when absent)."""
    gold = _lookup((study_system_attrs, study_user_attrs), (GOLD_ATTR, "questions"))
    return dict(gold) if isinstance(gold, Mapping) else {}


def _num(v: Any) -> float:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else math.nan


def _at(seq: Any, i: int) -> Any:
    return seq[i] if isinstance(seq, list | tuple) and i < len(seq) else None


def question_results(trial: FrozenTrial, gold: Mapping[str, Any] | None = None) -> list[QuestionResult]:
    """The trial's per-question results in evaluation order (empty when it stored none)."""
    record = _lookup((trial.system_attrs, trial.user_attrs), _RECORD_KEYS)
    if not isinstance(record, Mapping):
        return []
    ids = record.get("question_ids") or []
    # ragtune.objectives.results knows where each score lives (some are the reported score rows)
    scores = question_scores(trial) or record.get("scores") or {}
    out = []
    for i, qid in enumerate(ids):
        info = (gold or {}).get(str(qid)) or {}
        retrieved = _at(record.get("retrieved"), i) or ()
        answer = _at(record.get("answers"), i)
        out.append(
            QuestionResult(
                str(qid),
                {str(k): _num(_at(v, i)) for k, v in scores.items()},
                _num(_at(record.get("latency_s"), i)),
                tuple(map(str, retrieved)),
                answer if isinstance(answer, str) else None,
                str(info.get("text", "")),
                tuple(map(str, info.get("relevant") or ())),
                tuple(map(str, info.get("answers") or ())),
            )
        )
    return out


def question_metrics(results: Sequence[QuestionResult]) -> tuple[str, ...]:
    """Metric names with at least one finite per-question score."""
    seen: dict[str, None] = {}
    for r in results:
        for k, v in r.scores.items():
            if math.isfinite(v):
                seen.setdefault(k, None)
    return tuple(seen)


def worst_questions(
    results: Sequence[QuestionResult], metric: str, *, maximize: bool = True, n: int | None = None
) -> list[QuestionResult]:
    """Questions ordered worst first on ``metric`` (undefined scores last), the first ``n``."""

    def key(r: QuestionResult) -> tuple[bool, float, str]:
        v = r.scores.get(metric, math.nan)
        return (not math.isfinite(v), v if maximize else -v, r.question_id)

    ordered = sorted(results, key=key)
    return ordered if n is None else ordered[:n]


@dataclass(frozen=True, slots=True)
class QuestionDiff:
    """One question's score in two trials; ``delta = b - a`` (NaN when either is missing)."""

    question_id: str
    a: float
    b: float
    text: str = ""

    @property
    def delta(self) -> float:
        return self.b - self.a


def question_diff(
    a: Sequence[QuestionResult], b: Sequence[QuestionResult], metric: str, *, maximize: bool = True
) -> list[QuestionDiff]:
    """Questions either trial answered, the biggest change (for the worse in ``b``, first) first."""
    by_a = {r.question_id: r for r in a}
    by_b = {r.question_id: r for r in b}
    ids = list(by_a) + [q for q in by_b if q not in by_a]
    rows = []
    for q in ids:
        ra, rb = by_a.get(q), by_b.get(q)
        text = (ra or rb).text if (ra or rb) is not None else ""  # type: ignore[union-attr]
        rows.append(
            QuestionDiff(
                q,
                ra.scores.get(metric, math.nan) if ra else math.nan,
                rb.scores.get(metric, math.nan) if rb else math.nan,
                text,
            )
        )
    sign = 1.0 if maximize else -1.0

    def key(d: QuestionDiff) -> tuple[bool, float, str]:
        change = d.delta * sign
        return (not math.isfinite(change), change, d.question_id)

    return sorted(rows, key=key)

"""What ragtune records about a RAG trial, where it lives, and the accessor that reads it back.

ragtune's bookkeeping is kept out of ``user_attrs`` (those are the user's, as in Optuna):

- trial system attrs ``ragtune:metrics`` (every metric's value), ``ragtune:index`` (index build
  facts), ``ragtune:pipeline`` (the pipeline's config), ``ragtune:per_question`` (question ids,
  latencies, retrieved ids, answers, and the per-question scores that are not already stored as
  reported score rows) and, where recorded, ``ragtune:llm`` and ``ragtune:pruning_saved``;
- the per-question scores of the objectives, stored once: as the score rows reported with the
  trial's last intermediate value (``FrozenTrial.intermediate_scores``), which the pruners use;
- study system attrs: the objective names (``Study.set_metric_names``), ``ragtune:constraints``,
  ``ragtune:dataset`` and ``ragtune:questions`` (question text, relevant ids, gold answers).

Read a trial's results with :func:`trial_results` (or :func:`trial_metrics`,
:func:`question_scores`) instead of reading the attrs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ragtune.core.frozen_trial import FrozenTrial
    from ragtune.core.trial import Trial

__all__ = [
    "CONSTRAINTS_ATTR",
    "DATASET_ATTR",
    "INDEX_ATTR",
    "METRICS_ATTR",
    "PER_QUESTION_ATTR",
    "PIPELINE_ATTR",
    "TrialResults",
    "question_scores",
    "record_pipeline",
    "record_results",
    "study_constraints",
    "trial_metrics",
    "trial_results",
]

_PREFIX = "ragtune:"
METRICS_ATTR = "ragtune:metrics"
INDEX_ATTR = "ragtune:index"
PIPELINE_ATTR = "ragtune:pipeline"
PER_QUESTION_ATTR = "ragtune:per_question"
_KNOWN_TRIAL_ATTRS = frozenset(
    (METRICS_ATTR, INDEX_ATTR, PIPELINE_ATTR, PER_QUESTION_ATTR, "ragtune:constraint_names")
)
CONSTRAINTS_ATTR = "ragtune:constraints"
DATASET_ATTR = "ragtune:dataset"


@dataclass(frozen=True, slots=True)
class TrialResults:
    """One trial's RAG results: aggregate metrics and per-question scores (raw units, ``None`` where
    a metric is undefined for a question, e.g. an answer metric on a question without answers)."""

    metrics: Mapping[str, float | None] = field(default_factory=dict)
    question_ids: tuple[str, ...] = ()
    latency_s: tuple[float, ...] = ()
    scores: Mapping[str, tuple[float | None, ...]] = field(default_factory=dict)
    index: Mapping[str, Any] = field(default_factory=dict)
    pipeline: Mapping[str, Any] | None = None
    retrieved: tuple[tuple[str, ...], ...] = ()
    answers: tuple[str | None, ...] = ()
    other: Mapping[str, Any] = field(default_factory=dict)
    """Anything else the evaluator recorded (``llm`` usage, ``pruning_saved``), by key."""

    @property
    def questions_evaluated(self) -> int:
        return len(self.question_ids)

    def __bool__(self) -> bool:
        return bool(self.metrics or self.question_ids or self.pipeline)

    def per_question_records(self) -> list[dict[str, Any]]:
        """One dict per question: ``question_id``, ``latency_s`` and a key per metric."""
        out = []
        for i, qid in enumerate(self.question_ids):
            row: dict[str, Any] = {"question_id": qid}
            if i < len(self.latency_s):
                row["latency_s"] = self.latency_s[i]
            for name, col in self.scores.items():
                row[name] = col[i] if i < len(col) else None
            if i < len(self.retrieved):
                row["retrieved"] = list(self.retrieved[i])
            if i < len(self.answers):
                row["answer"] = self.answers[i]
            out.append(row)
        return out

    def per_question_json(self) -> dict[str, Any]:
        """The per-question data as one JSON-able object (what ``--with-per-question`` exports)."""
        out: dict[str, Any] = {
            "question_ids": list(self.question_ids),
            "latency_s": list(self.latency_s),
            "scores": {k: list(v) for k, v in self.scores.items()},
        }
        if self.retrieved:
            out["retrieved"] = [list(r) for r in self.retrieved]
        if self.answers:
            out["answers"] = list(self.answers)
        return out


def _finite_or_none(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def record_results(
    trial: Trial,
    record: Mapping[str, Any],
    *,
    reported_step: int | None = None,
    reported_columns: Mapping[str, int] | None = None,
) -> None:
    """Store what the evaluator recorded for a trial (``Evaluator.trial_attrs``) in its system attrs.

    Each key becomes ``"ragtune:<key>"``; ``questions_evaluated`` is not stored (it is the number
    of question ids). Per-question scores of the metrics in ``reported_columns`` (metric -> column)
    are the score rows reported at ``reported_step``, value for value; they are not stored again,
    :func:`trial_results` reads them from the rows.
    """
    columns = dict(reported_columns or {}) if reported_step is not None else {}
    for key, value in record.items():
        if key == "questions_evaluated":
            continue
        if key == "per_question" and isinstance(value, Mapping):
            value = dict(value)
            scores = value.get("scores")
            if isinstance(scores, Mapping):
                value["scores"] = {k: v for k, v in scores.items() if k not in columns}
            if columns:
                value["reported"] = {"step": int(reported_step or 0), "columns": columns}
        trial.set_system_attr(f"{_PREFIX}{key}", value)


def record_pipeline(trial: Trial, config: Mapping[str, Any]) -> None:
    """Store the pipeline's config (JSON-able) with the trial."""
    trial.set_system_attr(PIPELINE_ATTR, dict(config))


def trial_results(trial: FrozenTrial) -> TrialResults:
    """The RAG results stored with ``trial`` (empty, and falsy, for a trial the Tuner did not run)."""
    attrs = trial.system_attrs
    metrics = attrs.get(METRICS_ATTR)
    index = attrs.get(INDEX_ATTR)
    pipeline = attrs.get(PIPELINE_ATTR)
    record = attrs.get(PER_QUESTION_ATTR)
    ids: tuple[str, ...] = ()
    latency: tuple[float, ...] = ()
    scores: dict[str, tuple[float | None, ...]] = {}
    retrieved: tuple[tuple[str, ...], ...] = ()
    answers: tuple[str | None, ...] = ()
    if isinstance(record, Mapping):
        ids = tuple(str(q) for q in record.get("question_ids") or ())
        latency = tuple(float(v) for v in record.get("latency_s") or ())
        retrieved = tuple(tuple(str(d) for d in r or ()) for r in record.get("retrieved") or ())
        answers = tuple(a if isinstance(a, str) else None for a in record.get("answers") or ())
        stored = record.get("scores")
        if isinstance(stored, Mapping):
            scores = {str(k): tuple(_finite_or_none(v) for v in col) for k, col in stored.items()}
        scores = {**_reported_scores(trial, record.get("reported")), **scores}
    ordered = {k: scores[k] for k in (metrics or {}) if k in scores}
    ordered.update(scores)
    return TrialResults(
        metrics=dict(metrics) if isinstance(metrics, Mapping) else {},
        question_ids=ids,
        latency_s=latency,
        scores=ordered,
        index=dict(index) if isinstance(index, Mapping) else {},
        pipeline=dict(pipeline) if isinstance(pipeline, Mapping) else None,
        retrieved=retrieved,
        answers=answers,
        other={
            k[len(_PREFIX) :]: v
            for k, v in attrs.items()
            if str(k).startswith(_PREFIX) and k not in _KNOWN_TRIAL_ATTRS
        },
    )


def _reported_scores(trial: FrozenTrial, reported: Any) -> dict[str, tuple[float | None, ...]]:
    if not isinstance(reported, Mapping):
        return {}
    rows = trial.intermediate_scores.get(int(reported.get("step", -1)))
    columns = reported.get("columns")
    if rows is None or not isinstance(columns, Mapping):
        return {}
    return {
        str(name): tuple(_finite_or_none(row[int(col)]) if int(col) < len(row) else None for row in rows)
        for name, col in columns.items()
    }


def trial_metrics(trial: FrozenTrial) -> dict[str, float | None]:
    """Every metric the evaluator computed for ``trial`` (objectives and constraint metrics); cheap."""
    metrics = trial.system_attrs.get(METRICS_ATTR)
    return dict(metrics) if isinstance(metrics, Mapping) else {}


def question_scores(trial: FrozenTrial) -> dict[str, tuple[float | None, ...]]:
    """Per-question scores of ``trial`` by metric, in the order the questions ran."""
    return dict(trial_results(trial).scores)


def study_constraints(system_attrs: Mapping[str, Any]) -> list[str]:
    """The constraint specs a Tuner study was created with (``["latency_p95_ms <= 200"]``)."""
    stored = system_attrs.get(CONSTRAINTS_ATTR)
    return [str(c) for c in stored] if isinstance(stored, list | tuple) else []

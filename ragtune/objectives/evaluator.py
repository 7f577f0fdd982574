"""The evaluator: runs a pipeline over an eval set in rungs, reports objective vectors, prunes.

Questions run in one fixed, seeded order. After each rung (by default 1/9, 1/3 and all of the
questions) the evaluator reports the objective vector on the questions seen so far, with
per-question score rows for confidence bounds (``step`` = questions evaluated), and asks the pruner.
Per-question scores and timings are stored with the trial so any aggregate can be recomputed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ragtune.core.directions import StudyDirection, parse_direction
from ragtune.datasets.types import EvalSet, Question
from ragtune.exceptions import ConfigError, TrialPruned
from ragtune.objectives.aggregate import aggregate_objective
from ragtune.objectives.answer import answer_in_context, exact_match, token_f1
from ragtune.objectives.results import record_results
from ragtune.objectives.retrieval import RETRIEVAL_METRICS
from ragtune.objectives.specs import (
    Constraint,
    Objective,
    parse_constraints,
    parse_objective,
    parse_objectives,
)

if TYPE_CHECKING:
    from ragtune.core.trial import Trial
    from ragtune.pipelines import Cache, Pipeline

DEFAULT_RUNGS = (1 / 9, 1 / 3, 1.0)
_MAX_VIOLATION = 1e12


@dataclass(slots=True)
class QuestionOutcome:
    """Raw per-question results: metric name -> raw value (NaN where undefined)."""

    question_id: str
    raw: dict[str, float]
    latency_s: float
    answer: str | None = None
    reasons: tuple[str, ...] = ()


@dataclass(slots=True)
class Evaluation:
    """The result of evaluating one pipeline on (a prefix of) the eval set."""

    values: dict[str, float]
    outcomes: list[QuestionOutcome] = field(default_factory=list)
    index_seconds: float = 0.0
    index_stats: dict[str, Any] = field(default_factory=dict)


def rung_sizes(n_questions: int, rungs: Sequence[float | int]) -> list[int]:
    """Question counts after each rung; fractions of the set or absolute counts, ending at all."""
    if n_questions <= 0:
        raise ConfigError("the eval set has no questions; add questions to the dataset")
    sizes: set[int] = set()
    for r in rungs:
        if isinstance(r, bool) or not isinstance(r, int | float) or r <= 0:
            raise ConfigError(f"rungs must be fractions in (0, 1] or counts >= 1, but got {r!r}")
        size = math.ceil(r * n_questions) if isinstance(r, float) and r <= 1.0 else int(r)
        sizes.add(min(max(size, 1), n_questions))
    sizes.add(n_questions)
    return sorted(sizes)


class Evaluator:
    """Scores pipelines on ``dataset`` for ``objectives`` (and the metrics ``constraints`` name)."""

    def __init__(
        self,
        dataset: EvalSet,
        objectives: Sequence[str | Objective],
        *,
        constraints: Sequence[str | Constraint] = (),
        rungs: Sequence[float | int] = DEFAULT_RUNGS,
        seed: int = 0,
        cache: Cache | None = None,
        max_questions: int | None = None,
        cost_per_1k_tokens: float = 0.0,
    ) -> None:
        self.dataset = dataset
        self.objectives = parse_objectives(objectives)
        self.constraints = parse_constraints(constraints)
        self.cache = cache
        self.cost_per_1k_tokens = cost_per_1k_tokens
        order = np.random.default_rng(seed).permutation(len(dataset.questions))
        questions = [dataset.questions[i] for i in order]
        if max_questions is not None:
            questions = questions[:max_questions]
        self.questions: list[Question] = questions
        self.rungs = rung_sizes(len(questions), rungs)
        extra = [parse_objective(c.metric) for c in self.constraints]
        self._metrics: dict[str, Objective] = {o.name: o for o in (*extra, *self.objectives)}

    @property
    def directions(self) -> tuple[StudyDirection, ...]:
        return tuple(parse_direction(o.direction) for o in self.objectives)

    @property
    def objective_names(self) -> list[str]:
        return [o.name for o in self.objectives]

    # -- one question ------------------------------------------------------------------------
    def _run_question(self, pipeline: Pipeline, index: Any, q: Question) -> QuestionOutcome:
        result = pipeline.query(index, q.text)
        latency = float(sum(result.timings.values()))
        ranking = [doc_id for doc_id, _ in result.doc_ranking]
        qrels = self.dataset.qrels.get(q.id, {})
        tokens = float(sum(result.tokens.values())) if result.tokens else 0.0
        raw: dict[str, float] = {}
        for name, obj in self._metrics.items():
            kind = obj.kind
            if kind == "retrieval":
                raw[name] = RETRIEVAL_METRICS[obj.metric](ranking, qrels, k=obj.k or len(ranking) or 1)
            elif kind == "answer":
                raw[name] = self._answer_metric(obj.metric, q, result.answer, result.context)
            elif kind == "latency":
                raw[name] = latency
            elif kind == "safety":
                raw[name] = 1.0 if result.verdict is None or result.verdict.passed else 0.0
            elif obj.metric == "tokens":
                raw[name] = tokens
            elif obj.metric == "cost_usd":
                raw[name] = tokens / 1000.0 * self.cost_per_1k_tokens
        reasons = result.verdict.reasons if result.verdict is not None else ()
        return QuestionOutcome(q.id, raw, latency, result.answer, tuple(reasons))

    @staticmethod
    def _answer_metric(metric: str, q: Question, answer: str | None, context: Sequence[str]) -> float:
        if not q.answers:
            return math.nan
        if metric == "answer_in_context":
            return answer_in_context(q.answers, list(context))
        if answer is None:
            raise ConfigError(
                f"objective {metric!r} needs an answer, but the pipeline has no reader; add a reader "
                "(e.g. readers.Extractive()) or use a retrieval objective"
            )
        return exact_match(answer, q.answers) if metric == "exact_match" else token_f1(answer, q.answers)

    # -- aggregation -------------------------------------------------------------------------
    def aggregate(self, outcomes: Sequence[QuestionOutcome], index_seconds: float) -> dict[str, float]:
        values: dict[str, float] = {}
        for name, obj in self._metrics.items():
            raw = [index_seconds] if obj.kind == "index" else [o.raw[name] for o in outcomes]
            values[name] = aggregate_objective(obj, raw)
        return values

    def score_rows(self, outcomes: Sequence[QuestionOutcome]) -> list[list[float]]:
        """Per-question rows, one column per objective in reported units (NaN where the objective is
        not a mean of per-question values, e.g. a latency percentile)."""
        rows = []
        for o in outcomes:
            row = []
            for obj in self.objectives:
                v = o.raw.get(obj.name, math.nan)
                row.append(v * obj.info.scale if obj.per_question else math.nan)
            rows.append(row)
        return rows

    def reported_columns(self) -> dict[str, int]:
        """Objectives whose column in :meth:`score_rows` is exactly the raw per-question value."""
        return {
            o.name: i
            for i, o in enumerate(self.objectives)
            if o.per_question and o.info.scale == 1.0 and o.kind != "latency"
        }

    # -- a whole trial -----------------------------------------------------------------------
    def evaluate(self, trial: Trial | None, pipeline: Pipeline) -> Evaluation:
        """Build the index, run the questions rung by rung, report and prune through ``trial``.

        Raises :class:`~ragtune.exceptions.TrialPruned` when the pruner stops the trial (its
        per-question results are stored first). Returns the full evaluation otherwise.
        """
        start = time.perf_counter()
        index = pipeline.build_index(self.dataset.corpus, cache=self.cache)
        index_seconds = float(getattr(index, "build_seconds", time.perf_counter() - start))
        stats = _index_stats(index)
        outcomes: list[QuestionOutcome] = []
        values: dict[str, float] = {}
        for size in self.rungs:
            for q in self.questions[len(outcomes) : size]:
                outcomes.append(self._run_question(pipeline, index, q))
            values = self.aggregate(outcomes, index_seconds)
            if trial is None:
                continue
            vector = [values[o.name] for o in self.objectives]
            if all(math.isfinite(v) for v in vector):
                trial.report(vector, step=size, scores=self.score_rows(outcomes))
            if size < len(self.questions) and trial.should_prune():
                self._store(trial, values, outcomes, index_seconds, stats)
                _save_retrievals(index)
                raise TrialPruned(f"pruned after {size} of {len(self.questions)} questions")
        if trial is not None:
            self._store(trial, values, outcomes, index_seconds, stats)
        _save_retrievals(index)
        return Evaluation(values, outcomes, index_seconds, stats)

    def _store(
        self,
        trial: Trial,
        values: Mapping[str, float],
        outcomes: Sequence[QuestionOutcome],
        index_seconds: float,
        stats: Mapping[str, Any],
    ) -> None:
        reported = all(math.isfinite(values[o.name]) for o in self.objectives)
        record_results(
            trial,
            metrics=values,
            question_ids=[o.question_id for o in outcomes],
            latency_s=[o.latency_s for o in outcomes],
            scores={
                name: [o.raw[name] for o in outcomes]
                for name, spec in self._metrics.items()
                if spec.kind != "index"
            },
            # The rows reported at the last rung (see evaluate) hold these objectives' scores already.
            reported_step=len(outcomes) if reported and outcomes else None,
            reported_columns=self.reported_columns(),
            index={"seconds": index_seconds, **stats},
        )
        for c in self.constraints:
            trial.set_constraint(str(c), self.violation(c, values))

    @staticmethod
    def violation(constraint: Constraint, values: Mapping[str, float]) -> float:
        v = constraint.violation(values[constraint.metric])
        return min(v, _MAX_VIOLATION) if not math.isnan(v) else _MAX_VIOLATION

    def objective_values(self, evaluation: Evaluation) -> tuple[float, ...]:
        return tuple(evaluation.values[o.name] for o in self.objectives)


def _save_retrievals(index: Any) -> None:
    """Put the questions this trial ranked into the cache's disk entry for the index (when cached)."""
    save = getattr(getattr(index, "state", None), "save", None)
    if callable(save):
        save()


def _index_stats(index: Any) -> dict[str, Any]:
    """What the trial records about its index: wall time of this build (small on cache hits) next to
    ``seconds`` (the from-scratch build time), cache hits/builds and the number of chunks."""
    out: dict[str, Any] = {"wall_seconds": getattr(index, "index_seconds", None)}
    for name in ("cache_hits", "cache_builds", "stages"):
        value = getattr(index, name, None)
        if isinstance(value, int | float | dict):
            out[name] = value
    chunks = getattr(index, "chunks", None)
    if chunks is not None:
        out["n_chunks"] = len(chunks)
    return out

"""The evaluator: runs a pipeline over an eval set in rungs and yields what each rung scored.

Questions run in one fixed, seeded order. After each rung (by default 1/9, 1/3 and all of the
questions) :meth:`Evaluator.run` yields a :class:`RungResult`: the objective vector on the questions
seen so far (``step`` = questions evaluated) with per-question score rows for confidence bounds. The
evaluator never touches a trial: :mod:`ragtune.tuner` reports each rung and asks the pruner, and stores
:meth:`Evaluator.trial_attrs` (per-question scores and timings, so any aggregate can be recomputed).
"""

from __future__ import annotations

import math
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ragtune.core.directions import StudyDirection, parse_direction
from ragtune.datasets.types import EvalSet, Question
from ragtune.exceptions import ConfigError
from ragtune.objectives.aggregate import aggregate_objective
from ragtune.objectives.answer import answer_in_context, exact_match, token_f1
from ragtune.objectives.llm_usage import Prices, attach_llm_cache, pruning_savings, usage_record
from ragtune.objectives.retrieval import RETRIEVAL_METRICS
from ragtune.objectives.specs import (
    Constraint,
    Objective,
    parse_constraints,
    parse_objective,
    parse_objectives,
)

if TYPE_CHECKING:
    from ragtune.pipelines import Cache, Index, Pipeline

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
    tokens: dict[str, int] = field(default_factory=dict)
    llm_cached: bool | None = None
    retrieved: tuple[str, ...] = ()
    """The first :data:`STORED_RANKING` documents of the ranking, for the per-question views."""


STORED_RANKING = 10
"""How many retrieved document ids are stored per question (``ragtune report`` and the TUI show them)."""


@dataclass(slots=True)
class Evaluation:
    """The result of evaluating one pipeline on (a prefix of) the eval set."""

    values: dict[str, float]
    outcomes: list[QuestionOutcome] = field(default_factory=list)
    index_seconds: float = 0.0
    index_stats: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RungResult:
    """What the questions up to one rung scored.

    ``step`` is the number of questions evaluated (the step a trial reports at), ``values`` every metric
    by name (objectives and the metrics constraints name), ``objective_values`` the objective vector in
    the study's order and ``scores`` one row per question (one column per objective, reported units;
    NaN where an objective is not a per-question mean).
    """

    step: int
    n_questions: int
    values: dict[str, float]
    objective_values: tuple[float, ...]
    scores: list[list[float]]
    outcomes: tuple[QuestionOutcome, ...]
    index_seconds: float
    index_stats: dict[str, Any]

    @property
    def is_last(self) -> bool:
        """True for the rung that covers every question (no pruning after it)."""
        return self.step >= self.n_questions

    @property
    def reportable(self) -> bool:
        """True when every objective is defined on these questions (a trial can report the vector)."""
        return all(math.isfinite(v) for v in self.objective_values)

    def evaluation(self) -> Evaluation:
        return Evaluation(dict(self.values), list(self.outcomes), self.index_seconds, dict(self.index_stats))


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
        price_per_1k_input: float | None = None,
        price_per_1k_output: float | None = None,
    ) -> None:
        self.dataset = dataset
        self.objectives = parse_objectives(objectives)
        self.constraints = parse_constraints(constraints)
        self.cache = cache
        self.cost_per_1k_tokens = cost_per_1k_tokens
        self.prices = Prices(
            cost_per_1k_tokens if price_per_1k_input is None else price_per_1k_input,
            cost_per_1k_tokens if price_per_1k_output is None else price_per_1k_output,
        )
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
            elif obj.metric == "tokens_in":
                raw[name] = float(result.tokens.get("prompt", 0))
            elif obj.metric == "tokens_out":
                raw[name] = float(result.tokens.get("completion", 0))
            elif obj.metric == "cost_usd":
                raw[name] = self.prices.cost(result.tokens)
        reasons = result.verdict.reasons if result.verdict is not None else ()
        return QuestionOutcome(
            q.id,
            raw,
            latency,
            result.answer,
            tuple(reasons),
            dict(result.tokens),
            result.reader_cached,
            tuple(ranking[:STORED_RANKING]),
        )

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

    # -- a whole run ---------------------------------------------------------------------------
    def run(self, pipeline: Pipeline) -> Generator[RungResult, None, None]:
        """Build the index and run the questions rung by rung, yielding each rung's result.

        Stop iterating (or ``close()`` the iterator) to stop early; either way the rankings this run
        made are saved to the cache's disk entry for the index (when cached).
        """
        attach_llm_cache(pipeline, self.cache)
        index: Index = pipeline.build_index(self.dataset.corpus, cache=self.cache)
        index_seconds = index.build_seconds
        stats = _index_stats(index)
        outcomes: list[QuestionOutcome] = []
        try:
            for size in self.rungs:
                for q in self.questions[len(outcomes) : size]:
                    outcomes.append(self._run_question(pipeline, index, q))
                values = self.aggregate(outcomes, index_seconds)
                yield RungResult(
                    step=size,
                    n_questions=len(self.questions),
                    values=values,
                    objective_values=tuple(values[o.name] for o in self.objectives),
                    scores=self.score_rows(outcomes),
                    outcomes=tuple(outcomes),
                    index_seconds=index_seconds,
                    index_stats=stats,
                )
        finally:
            index.save()

    def evaluate(self, pipeline: Pipeline) -> Evaluation:
        """Run every rung of ``pipeline`` (no trial, no pruning) and return the full evaluation."""
        last: RungResult | None = None
        for rung in self.run(pipeline):
            last = rung
        assert last is not None  # rung_sizes always ends with every question
        return last.evaluation()

    def trial_attrs(self, rung: RungResult) -> dict[str, Any]:
        """What a trial stores for ``rung`` (in system attrs, see :mod:`ragtune.objectives.results`): metrics, questions evaluated, index facts and
        the per-question scores and timings; with an LLM reader its calls, cache hits/misses and
        tokens (``llm``); before the last rung what stopping there saves (``pruning_saved``)."""
        outcomes = rung.outcomes
        attrs: dict[str, Any] = {
            "metrics": {k: _finite_or_none(v) for k, v in rung.values.items()},
            "questions_evaluated": len(outcomes),
            "index": {"seconds": rung.index_seconds, **rung.index_stats},
            "per_question": {
                "question_ids": [o.question_id for o in outcomes],
                "latency_s": [o.latency_s for o in outcomes],
                "retrieved": [list(o.retrieved) for o in outcomes],
                "answers": [o.answer for o in outcomes],
                "scores": {
                    name: [_finite_or_none(o.raw[name]) for o in outcomes]
                    for name in self._metrics
                    if self._metrics[name].kind != "index"
                },
            },
        }
        tokens = [o.tokens for o in outcomes]
        llm = usage_record(tokens, [o.llm_cached for o in outcomes])
        if llm is not None:
            attrs["llm"] = llm
        if not rung.is_last:
            attrs["pruning_saved"] = pruning_savings(tokens, len(outcomes), rung.n_questions)
        return attrs

    def violations(self, values: Mapping[str, float]) -> list[float]:
        """One violation per constraint (``<= 0`` when met); empty without constraints."""
        return [self.violation(c, values) for c in self.constraints]

    def question_gold(self) -> dict[str, dict[str, Any]]:
        """Each evaluated question's text, relevant documents and gold answers (stored once per study)."""
        qrels = self.dataset.qrels
        return {
            q.id: {
                "text": q.text[:300],
                "relevant": [d for d, g in qrels.get(q.id, {}).items() if g > 0][:50],
                "answers": list(q.answers[:5]),
            }
            for q in self.questions
        }

    @staticmethod
    def violation(constraint: Constraint, values: Mapping[str, float]) -> float:
        v = constraint.violation(values[constraint.metric])
        return min(v, _MAX_VIOLATION) if not math.isnan(v) else _MAX_VIOLATION

    def objective_values(self, evaluation: Evaluation) -> tuple[float, ...]:
        return tuple(evaluation.values[o.name] for o in self.objectives)


def _finite_or_none(v: float) -> float | None:
    return v if math.isfinite(v) else None


def _index_stats(index: Index) -> dict[str, Any]:
    """What the trial records about its index: wall time of this build (small on cache hits) next to
    ``seconds`` (the from-scratch build time), cache hits/builds and the number of chunks."""
    return {
        "wall_seconds": index.index_seconds,
        "cache_hits": index.cache_hits,
        "cache_builds": index.cache_builds,
        "stages": dict(index.stages),
        "n_chunks": len(index.chunks),
    }

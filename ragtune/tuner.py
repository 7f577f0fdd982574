"""``Tuner``: a pipeline function + an eval set + objectives -> a study, with cache and pruning."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragtune.core.failures import FailureGroup, StopOnRepeatedFailure
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.json_values import jsonable
from ragtune.core.study import Callback, Study, create_study
from ragtune.datasets.types import EvalSet
from ragtune.exceptions import (
    ConfigError,
    ObjectiveValueError,
    StudyDirectionsMismatch,
    TrialPruned,
)
from ragtune.objectives.evaluator import DEFAULT_RUNGS, Evaluator, RungResult
from ragtune.objectives.results import CONSTRAINTS_ATTR, DATASET_ATTR, record_pipeline, record_results
from ragtune.objectives.specs import Constraint, Objective

QUESTIONS_ATTR = "ragtune:questions"
"""Study system attribute: question id -> text, relevant doc ids, gold answers (for per-question views)."""

if TYPE_CHECKING:
    from ragtune.core.trial import Trial
    from ragtune.distributed import RayExecutor
    from ragtune.pipelines import Cache, Pipeline
    from ragtune.pruners.base import Pruner
    from ragtune.samplers.base import Sampler
    from ragtune.storage.base import Storage

PipelineFn = Callable[["Trial"], "Pipeline"]


def default_pruner(evaluator: Evaluator) -> Pruner:
    """ASHA on the single objective, with rungs where the evaluator reports; the Pareto dominance
    pruner with several objectives."""
    from ragtune import pruners

    rungs = evaluator.rungs
    if len(evaluator.objectives) == 1:
        single: Pruner = pruners.SuccessiveHalvingPruner(
            min_resource=rungs[0], reduction_factor=3, max_resource=rungs[-1]
        )
        return single
    multi: Pruner = pruners.ParetoPruner(rungs=rungs[:-1] or None)
    return multi


class Tuner:
    """Tune a RAG pipeline: ``Tuner(pipeline, dataset, objectives=[...]).optimize(n_trials=50)``.

    ``pipeline(trial)`` suggests knobs and returns a :class:`~ragtune.pipelines.Pipeline`; the
    evaluator scores it on ``dataset`` in rungs, and :func:`evaluate_trial` reports each rung to the
    trial and asks the pruner. The study
    records its objectives and constraints, so resuming with others is a clear error.
    """

    def __init__(
        self,
        pipeline: PipelineFn,
        dataset: EvalSet | str,
        *,
        objectives: Sequence[str | Objective] = ("ndcg@10",),
        constraints: Sequence[str | Constraint] = (),
        sampler: Sampler | None = None,
        pruner: Pruner | None = None,
        storage: Storage | str | None = None,
        study_name: str = "ragtune",
        load_if_exists: bool = True,
        rungs: Sequence[float | int] = DEFAULT_RUNGS,
        seed: int | None = 0,
        cache: Cache | str | Path | bool | None = True,
        max_questions: int | None = None,
        price_per_1k_input: float = 0.0,
        price_per_1k_output: float = 0.0,
        executor: RayExecutor | str | None = None,
        prune_infeasible: bool = True,
    ) -> None:
        if not callable(pipeline):
            raise ConfigError(
                f"pipeline must be a function pipeline(trial) -> Pipeline, but got {pipeline!r}"
            )
        self.executor = _make_executor(executor, storage)
        #: Stop a trial at a rung where a constraint is already broken with 95% confidence.
        self.prune_infeasible = prune_infeasible
        if isinstance(dataset, str):
            from ragtune.datasets import load

            dataset = load(dataset)
        #: What an executor needs to build this Tuner again on another machine (not the storage).
        self.setup: dict[str, Any] = {
            "pipeline": pipeline,
            "dataset": dataset,
            "objectives": list(objectives),
            "constraints": list(constraints),
            "sampler": sampler,
            "pruner": pruner,
            "study_name": study_name,
            "rungs": list(rungs),
            "seed": seed,
            "max_questions": max_questions,
            "price_per_1k_input": price_per_1k_input,
            "price_per_1k_output": price_per_1k_output,
            "prune_infeasible": prune_infeasible,
        }
        self.storage_url: str | None = storage if isinstance(storage, str) else _url_of(storage)
        self.pipeline_fn = pipeline
        self.evaluator = Evaluator(
            dataset,
            objectives,
            constraints=constraints,
            rungs=rungs,
            seed=seed or 0,
            cache=_make_cache(cache),
            max_questions=max_questions,
            price_per_1k_input=price_per_1k_input,
            price_per_1k_output=price_per_1k_output,
        )
        if sampler is None:
            from ragtune.samplers import TPESampler

            sampler = TPESampler(seed=seed)
        names = self.evaluator.objective_names
        cons = [str(c) for c in self.evaluator.constraints]
        self.stopped_early: FailureGroup | None = None
        self.study: Study = create_study(
            storage=storage,
            sampler=sampler,
            pruner=pruner if pruner is not None else default_pruner(self.evaluator),
            study_name=study_name,
            directions=list(self.evaluator.directions),
            load_if_exists=load_if_exists,
        )
        stored = self.study.metric_names
        if stored is not None and list(stored) != names:
            raise StudyDirectionsMismatch(
                f"study {study_name!r} was created with objectives {list(stored)}, but {names} were given; "
                "use the same objectives or another study name (--study)"
            )
        if stored is None:
            self.study.set_metric_names(names)
            self.study.set_system_attr(CONSTRAINTS_ATTR, cons)
            self.study.set_system_attr(DATASET_ATTR, dataset.name)
        if QUESTIONS_ATTR not in self.study.system_attrs:
            self.study.set_system_attr(QUESTIONS_ATTR, self.evaluator.question_gold())

    def objective(self, trial: Trial) -> tuple[float, ...]:
        """Build the trial's pipeline and evaluate it (the function handed to ``Study.optimize``)."""
        from ragtune.pipelines import Pipeline

        pipe = self.pipeline_fn(trial)
        if not isinstance(pipe, Pipeline):
            raise ConfigError(
                f"pipeline(trial) must return a ragtune.pipelines.Pipeline, but returned {type(pipe).__name__}"
            )
        record_pipeline(trial, jsonable(pipe.config()))
        values = evaluate_trial(
            self.evaluator, trial, pipe, prune_infeasible=self.prune_infeasible
        ).objective_values
        bad = [n for n, v in zip(self.evaluator.objective_names, values, strict=True) if not math.isfinite(v)]
        if bad:
            raise ObjectiveValueError(
                f"objectives {bad} are undefined on this eval set (no judged or answerable questions?)"
            )
        return values

    def optimize(
        self,
        n_trials: int | None = None,
        *,
        timeout: float | None = None,
        n_jobs: int = 1,
        callbacks: Sequence[Callback] | None = None,
        catch: tuple[type[Exception], ...] = (Exception,),
        stop_after_same_failures: int | None = 5,
        show_progress_bar: bool = False,
    ) -> Study:
        """Run ``n_trials`` more trials (or until ``timeout``).

        A trial whose pipeline or evaluation raises one of ``catch`` (any exception by default) is
        stored as FAIL with its reason, a one-line warning is logged and the run goes on; pass
        ``catch=()`` to stop at the first failure instead. When the first ``stop_after_same_failures``
        trials of the run all fail for the same reason at the same place, the run stops early
        (``self.stopped_early`` says why); ``None`` turns that off.
        """
        watch = StopOnRepeatedFailure(stop_after_same_failures) if stop_after_same_failures else None
        self.stopped_early = None
        if self.executor is not None:
            if n_jobs != 1:
                raise ConfigError(
                    f"n_jobs={n_jobs} does not apply with an executor; set its workers (RayExecutor(workers=N))"
                )
            self.executor.run(
                self,
                n_trials=n_trials,
                timeout=timeout,
                callbacks=[*(callbacks or ()), *([watch] if watch else [])],
                catch=catch,
            )
            self.stopped_early = watch.stopped if watch else None
            return self.study
        self.study.optimize(
            self.objective,
            n_trials=n_trials,
            timeout=timeout,
            n_jobs=n_jobs,
            catch=catch,
            callbacks=[*(callbacks or ()), *([watch] if watch else [])],
            show_progress_bar=show_progress_bar,
        )
        self.stopped_early = watch.stopped if watch else None
        return self.study

    @property
    def best_trials(self) -> list[FrozenTrial]:
        return self.study.best_trials


def _make_executor(executor: RayExecutor | str | None, storage: Storage | str | None) -> RayExecutor | None:
    """``None``/``"local"``: trials run here; ``"ray"`` or a RayExecutor: on a Ray cluster (PostgreSQL
    storage required, checked before anything is created)."""
    if executor is None or executor == "local":
        return None
    from ragtune.distributed import RayExecutor
    from ragtune.distributed.ray_executor import require_postgres

    if executor == "ray":
        executor = RayExecutor()
    if not isinstance(executor, RayExecutor):
        raise ConfigError(f"executor must be 'local', 'ray' or a RayExecutor, but got {executor!r}")
    require_postgres(storage if isinstance(storage, str) else _url_of(storage))
    return executor


def _url_of(storage: Storage | None) -> str | None:
    """The URL a Storage was opened with (PostgreSQL/DuckDB), for executors that reopen it elsewhere."""
    from ragtune.storage.sql.storage import SQLStorage

    return storage.reopen_url() if isinstance(storage, SQLStorage) else None


def evaluate_trial(
    evaluator: Evaluator, trial: Trial, pipeline: Pipeline, *, prune_infeasible: bool = True
) -> RungResult:
    """Score ``pipeline`` rung by rung: report each rung to ``trial``, prune when its pruner says so.

    What the trial evaluated (metrics, per-question scores, constraint violations) is stored with it
    before a prune and at the end. Raises :class:`~ragtune.exceptions.TrialPruned` when pruned;
    returns the last rung (every question) otherwise.
    """
    last: RungResult | None = None
    with contextlib.closing(evaluator.run(pipeline)) as rungs:  # closing saves the rankings made
        for last in rungs:
            if last.reportable:
                trial.report(list(last.objective_values), step=last.step, scores=last.scores)
            if last.is_last:
                continue
            broken = broken_constraints(evaluator, last) if prune_infeasible else []
            if broken:
                _record(evaluator, trial, last)
                trial.set_system_attr(PRUNED_BECAUSE_ATTR, f"confidently infeasible: {', '.join(broken)}")
                raise TrialPruned(
                    f"pruned after {last.step} of {last.n_questions} questions: {', '.join(broken)} "
                    "already broken with 95% confidence"
                )
            if trial.should_prune():
                _record(evaluator, trial, last)
                raise TrialPruned(f"pruned after {last.step} of {last.n_questions} questions")
    assert last is not None  # the rungs always end with every question
    _record(evaluator, trial, last)
    return last


PRUNED_BECAUSE_ATTR = "ragtune:pruned_because"
"""Trial system attribute set when the Tuner (not the pruner) stopped the trial, saying why."""


def broken_constraints(evaluator: Evaluator, rung: RungResult, *, alpha: float = 0.05) -> list[str]:
    """The constraints the questions up to ``rung`` already break with confidence ``1 - alpha``
    (see :mod:`ragtune.objectives.constraint_bounds`); such a trial cannot end up feasible."""
    from ragtune.objectives.constraint_bounds import confidently_broken

    out = []
    for c in evaluator.constraints:
        raw = [o.raw.get(c.metric, math.nan) for o in rung.outcomes]
        if confidently_broken(c, raw, rung.values.get(c.metric, math.nan), alpha=alpha):
            out.append(str(c))
    return out


def _record(evaluator: Evaluator, trial: Trial, rung: RungResult) -> None:
    """Store the rung's results in the trial's system attrs (not the user's attrs); the objectives'
    per-question scores only once, as the rows reported with this rung when it was reported."""
    record_results(
        trial,
        evaluator.trial_attrs(rung),
        reported_step=rung.step if rung.reportable else None,
        reported_columns=evaluator.reported_columns(),
    )
    for c, v in zip(evaluator.constraints, evaluator.violations(rung.values), strict=True):
        trial.set_constraint(str(c), v)


def _make_cache(cache: Cache | str | Path | bool | None) -> Cache | None:
    from ragtune.pipelines import Cache

    if cache is None or cache is False:
        return None
    if cache is True:
        return Cache()
    if isinstance(cache, str | Path):
        return Cache(root=Path(cache))
    return cache

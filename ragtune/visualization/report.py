"""What ``ragtune report`` shows: the checks on the study, the charts, the best trials, per-question tables."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ragtune.core.directions import StudyDirection
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trial_state import TrialState
from ragtune.exceptions import ReportError
from ragtune.visualization.figure import Figure
from ragtune.visualization.history import plot_history
from ragtune.visualization.param_plots import (
    importances_per_objective,
    plot_parallel_coordinate,
    plot_param_importances,
)
from ragtune.visualization.pareto_plots import plot_pareto_front
from ragtune.visualization.questions import (
    QuestionResult,
    question_gold,
    question_metrics,
    question_results,
    worst_questions,
)
from ragtune.visualization.study_data import StudyData

if TYPE_CHECKING:
    from ragtune.core.study import Study

__all__ = ["QuestionTable", "ReportContent", "build_report", "check_reportable", "fmt"]

MAX_BEST = 15
MAX_QUESTIONS = 25
N_QUESTION_TRIALS = 3


def fmt(value: Any) -> str:
    """Four significant digits for floats, ``—`` for missing values."""
    if value is None:
        return "—"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "—"
        return f"{value:.4g}"
    return str(value)


def check_reportable(data: StudyData) -> None:
    """Raise :class:`ReportError` (one line) when the study has nothing a report could show."""
    if not data.trials:
        raise ReportError(f"study {data.name!r} has no trials; run some first (ragtune optimize ...)")
    if not data.complete.any():
        counts = {s.name: sum(1 for t in data.states if t is s) for s in TrialState}
        parts = ", ".join(f"{n} {k.lower()}" for k, n in counts.items() if n)
        failed = next((t for t in data.trials if t.state is TrialState.FAIL and t.fail_reason), None)
        why = (
            f"; first failure: {failed.fail_reason.splitlines()[0][:160]}"
            if failed and failed.fail_reason
            else ""
        )
        raise ReportError(
            f"study {data.name!r} has {len(data.trials)} trials and none completed ({parts}){why}; "
            "fix the failure and run trials again"
        )


@dataclass(frozen=True, slots=True)
class QuestionTable:
    """The worst questions of the main trial on ``metric``, with the scores of the other best trials."""

    metric: str
    maximize: bool
    trials: tuple[int, ...]
    rows: tuple[tuple[QuestionResult, tuple[float, ...]], ...]


@dataclass(slots=True)
class ReportContent:
    """Everything a report shows, ready for the HTML or Markdown writer."""

    data: StudyData
    facts: list[tuple[str, str]]
    figures: list[tuple[str, Figure]]
    best_title: str
    best_header: list[str]
    best_rows: list[list[str]]
    chosen: dict[str, Any] | None
    questions: QuestionTable | None
    notes: list[str] = field(default_factory=list)

    @property
    def headline(self) -> str:
        d = self.data
        n_done = int(d.complete.sum())
        if d.n_objectives == 1:
            row = d.best_row(0)
            best = f"best trial #{int(d.numbers[row])}" if row is not None else "no best trial"
            return f"1 objective ({d.objective_names[0]}; no Pareto front, {best}), {len(d.trials)} trials ({n_done} complete)"
        return (
            f"{d.n_objectives} objectives ({', '.join(d.objective_names)}), {len(d.trials)} trials "
            f"({n_done} complete), Pareto front of {int(d.front.sum())}"
        )


def _best_rows(data: StudyData) -> list[int]:
    if data.n_objectives == 1:
        ok = (
            np.flatnonzero(data.complete & data.feasible)
            if (data.complete & data.feasible).any()
            else np.flatnonzero(data.complete)
        )
        return [int(r) for r in ok[np.argsort(data.losses[ok, 0], kind="stable")][:MAX_BEST]]
    front = np.flatnonzero(data.front)
    return [int(r) for r in front[np.argsort(data.losses[front, 0], kind="stable")][:MAX_BEST]]


def _params_text(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={fmt(v)}" for k, v in params.items()) or "—"


def _question_table(data: StudyData, rows: Sequence[int]) -> QuestionTable | None:
    main_row = None
    if data.chosen is not None:
        hit = np.flatnonzero(data.numbers == data.chosen)
        main_row = int(hit[0]) if hit.size else None
    picks = ([main_row] if main_row is not None else []) + [r for r in rows if r != main_row]
    gold = question_gold(data.user_attrs, data.system_attrs)
    chosen_trials: list[FrozenTrial] = []
    results: list[list[QuestionResult]] = []
    for r in picks:
        res = question_results(data.trials[r], gold)
        if res:
            chosen_trials.append(data.trials[r])
            results.append(res)
        if len(results) == N_QUESTION_TRIALS:
            break
    if not results:
        return None
    metrics = question_metrics(results[0])
    if not metrics:
        return None
    metric = next((n for n in data.objective_names if n in metrics), metrics[0])
    maximize = True
    if metric in data.objective_names:
        maximize = data.directions[data.objective_names.index(metric)] is StudyDirection.MAXIMIZE
    others = [{q.question_id: q.scores.get(metric, math.nan) for q in res} for res in results]
    table = []
    for q in worst_questions(results[0], metric, maximize=maximize, n=MAX_QUESTIONS):
        table.append((q, tuple(o.get(q.question_id, math.nan) for o in others)))
    return QuestionTable(metric, maximize, tuple(t.number for t in chosen_trials), tuple(table))


def build_report(study: Study | StudyData) -> ReportContent:
    """Check the study and assemble the report's facts, charts and tables."""
    data = study if isinstance(study, StudyData) else StudyData.from_study(study)
    check_reportable(data)
    counts = {s: sum(1 for t in data.states if t is s) for s in TrialState}
    facts = [
        ("objectives", ", ".join(data.label(i) for i in range(data.n_objectives))),
        ("trials", ", ".join(f"{n} {s.name.lower()}" for s, n in counts.items() if n)),
    ]
    for key in ("dataset", "constraints"):
        v = data.system_attrs.get(f"ragtune:{key}")
        if v:
            facts.append((key, ", ".join(map(str, v)) if isinstance(v, list | tuple) else str(v)))
    imp = importances_per_objective(data)
    figures: list[tuple[str, Figure]] = []
    notes = []
    if data.n_objectives >= 2:
        figures.append(("pareto", plot_pareto_front(data)))
    else:
        notes.append("One objective: no Pareto front; the best trials are ranked by the objective.")
    figures.append(("history", plot_history(data)))
    if imp:
        figures.append(("importance", plot_param_importances(data, importances=imp)))
    if data.param_names() and int(data.complete.sum()) >= 1:
        for i in range(data.n_objectives):
            figures.append((f"parallel-{i}", plot_parallel_coordinate(data, objective=i)))
    rows = _best_rows(data)
    header = ["trial", *(data.label(i) for i in range(data.n_objectives)), "params"]
    best = [
        [
            f"#{int(data.numbers[r])}",
            *(fmt(float(v)) for v in data.values[r]),
            _params_text(data.trials[r].params),
        ]
        for r in rows
    ]
    title = "Pareto front" if data.n_objectives > 1 else "Best trials"
    if data.n_objectives > 1 and int(data.front.sum()) > MAX_BEST:
        title += f" (first {MAX_BEST} of {int(data.front.sum())}, by {data.objective_names[0]})"
    chosen = None
    if data.chosen is not None:
        hit = np.flatnonzero(data.numbers == data.chosen)
        if hit.size:
            t = data.trials[int(hit[0])]
            chosen = {
                "trial": t.number,
                "values": {
                    n: fmt(float(v))
                    for n, v in zip(data.objective_names, data.values[int(hit[0])], strict=True)
                },
                "params": _params_text(t.params),
            }
    return ReportContent(
        data, facts, figures, title, header, best, chosen, _question_table(data, rows), notes
    )

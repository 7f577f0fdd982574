"""What the TUI's analysis views show, computed without Textual: history and slice points,
importance bars, a trial's per-question rows and the per-question diff of two trials.

Every function takes a :class:`~ragtune.visualization.StudyData` (built once per read of the study
by :func:`analysis_data`) so opening a view on 10,000 trials stays well under a second.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from rich.text import Text

from ragtune.core.directions import StudyDirection
from ragtune.core.distributions import CategoricalDistribution
from ragtune.core.trial_state import TrialState
from ragtune.tui.scatter_geometry import DOTS, FRONT, INFEASIBLE, PlotPoints
from ragtune.tui.view_model import StudyModel, format_number
from ragtune.visualization import StudyData, importances_per_objective
from ragtune.visualization.questions import (
    QuestionDiff,
    QuestionResult,
    question_diff,
    question_gold,
    question_metrics,
    question_results,
    worst_questions,
)
from ragtune.visualization.study_data import running_best

__all__ = [
    "QuestionView",
    "analysis_data",
    "default_baseline",
    "diff_rows",
    "diff_summary",
    "history_points",
    "importance_text",
    "question_detail",
    "question_view",
    "slice_points",
]

_CACHE: dict[int, tuple[StudyModel, StudyData]] = {}


def analysis_data(
    model: StudyModel,
    user_attrs: Mapping[str, Any] | None = None,
    system_attrs: Mapping[str, Any] | None = None,
) -> StudyData:
    """The study's arrays for the views (kept for the last model read, so switching views is free)."""
    hit = _CACHE.get(id(model))
    if hit is not None and hit[0] is model:
        return hit[1]
    data = StudyData.build(
        model.name,
        model.directions,
        model.trials,
        names=model.objective_names,
        user_attrs={**(user_attrs or {}), "constraints": list(model.constraints)},
        system_attrs=system_attrs,
    )
    _CACHE.clear()
    _CACHE[id(model)] = (model, data)
    return data


def _label(data: StudyData, i: int) -> str:
    d = data.directions[i]
    return f"{data.objective_names[i]} {'↑ max' if d is StudyDirection.MAXIMIZE else '↓ min'}"


def history_points(data: StudyData, objective: int, *, selected: int | None) -> tuple[PlotPoints, str]:
    """Objective value over trial number: completed trials as dots, pruned ones (at their last
    reported value) as ×, each new best as ●; and a one-line summary."""
    nums = data.numbers.astype(np.float64)
    pruned = data.state_mask(TrialState.PRUNED) & np.isfinite(data.last_values[:, objective])
    ok = data.complete & data.feasible
    best = running_best(np.where(ok, data.losses[:, objective], np.nan))
    improved = ok & np.isfinite(best) & (data.losses[:, objective] == best)
    first = np.concatenate([[True], best[1:] != best[:-1]]) if best.size else best.astype(bool)
    improved &= first
    done = data.complete
    xs = np.concatenate([nums[done], nums[pruned]])
    ys = np.concatenate([data.values[done, objective], data.last_values[pruned, objective]])
    kinds = np.concatenate(
        [np.where(improved[done], FRONT, DOTS), np.full(int(pruned.sum()), INFEASIBLE)]
    ).astype(np.int64)
    numbers = np.concatenate([data.numbers[done], data.numbers[pruned]])
    points = PlotPoints(xs, ys, numbers, kinds, "trial number", _label(data, objective), selected=selected)
    summary = f"{int(done.sum())} complete · {int(pruned.sum())} pruned (×, last reported value)"
    finite = np.isfinite(best)
    if finite.any():
        row = int(np.flatnonzero(improved)[-1])
        summary += f" · best {format_number(float(data.values[row, objective]))} at #{int(data.numbers[row])} (●: new best)"
    return points, summary


def importance_text(data: StudyData, *, width: int) -> Text:
    """One block per parameter: a bar per objective (PED-ANOVA importance), largest first."""
    imp = importances_per_objective(data)
    out = Text()
    if not imp:
        out.append("Parameter importance needs at least 2 completed trials.", style="dim")
        return out
    params = sorted(
        {p for d in imp.values() for p in d}, key=lambda p: -sum(d.get(p, 0.0) for d in imp.values())
    )
    name_w = min(max((len(n) for n in imp), default=8), 18)
    bar_w = max(width - name_w - 10, 8)
    styles = ("bold cyan", "bold magenta", "bold green", "bold yellow", "bold blue", "bold red")
    for k, name in enumerate(imp):
        out.append("■ ", style=styles[k % len(styles)])
        out.append(name + "  ")
    out.append("\n")
    for p in params:
        out.append(p[: width - 1] + "\n", style="bold")
        for k, (name, d) in enumerate(imp.items()):
            v = float(d.get(p, 0.0))
            n = round(v * bar_w)
            out.append(f"  {name[:name_w].ljust(name_w)} ")
            out.append("█" * n + ("▏" if n == 0 else ""), style=styles[k % len(styles)])
            out.append(f" {v:.2f}\n")
    out.append(
        "PED-ANOVA (Watanabe et al. 2023): how much each parameter separates the best 10% of the "
        "completed trials from the rest; each objective's bars sum to 1.",
        style="dim",
    )
    return out


def _choices(data: StudyData, name: str) -> tuple[str, ...]:
    for t in reversed(data.trials):
        d = t.distributions.get(name)
        if d is not None:
            return tuple(map(str, d.choices)) if isinstance(d, CategoricalDistribution) else ()
    return ()


def slice_points(
    data: StudyData, param: str, objective: int, *, selected: int | None
) -> tuple[PlotPoints, str]:
    """A parameter (x) against an objective (y) over the completed trials that have the parameter."""
    rows = np.flatnonzero(data.complete)
    labels = _choices(data, param)
    xs = np.full(rows.size, np.nan)
    for j, r in enumerate(rows.tolist()):
        v = data.trials[r].params.get(param)
        if v is None and param not in data.trials[r].params:
            continue
        if labels:
            xs[j] = labels.index(str(v)) if str(v) in labels else np.nan
        elif isinstance(v, int | float) and not isinstance(v, bool):
            xs[j] = float(v)
    keep = np.isfinite(xs)
    ys = data.values[rows[keep], objective]
    kinds = np.where(data.front[rows[keep]], FRONT, DOTS).astype(np.int64)
    points = PlotPoints(
        xs[keep], ys, data.numbers[rows[keep]], kinds, param, _label(data, objective), selected=selected
    )
    note = f"{int(keep.sum())} of {rows.size} completed trials have {param}"
    if labels:
        note += " · " + " ".join(f"{i}={c}" for i, c in enumerate(labels))
    return points, note


@dataclass(frozen=True, slots=True)
class QuestionView:
    """The rows of the per-question table of one trial, worst first on ``metric``."""

    trial: int
    metric: str
    metrics: tuple[str, ...]
    maximize: bool
    results: tuple[QuestionResult, ...]


def _maximize(data: StudyData, metric: str) -> bool:
    if metric in data.objective_names:
        return data.directions[data.objective_names.index(metric)] is StudyDirection.MAXIMIZE
    return not any(w in metric for w in ("latency", "cost", "tokens", "seconds"))


def question_view(data: StudyData, number: int, metric: str | None = None) -> QuestionView | None:
    """The per-question results of trial ``number`` (``None`` when it stored none)."""
    rows = np.flatnonzero(data.numbers == number)
    if not rows.size:
        return None
    gold = question_gold(data.user_attrs, data.system_attrs)
    results = question_results(data.trials[int(rows[0])], gold)
    metrics = question_metrics(results)
    if not results or not metrics:
        return None
    chosen = (
        metric if metric in metrics else next((n for n in data.objective_names if n in metrics), metrics[0])
    )
    maximize = _maximize(data, chosen)
    ordered = worst_questions(results, chosen, maximize=maximize)
    return QuestionView(number, chosen, metrics, maximize, tuple(ordered))


def question_detail(q: QuestionResult) -> Text:
    """Retrieved vs relevant documents and answer vs gold of one question."""
    out = Text()
    out.append(f"{q.question_id} ", style="bold")
    out.append((q.text or "(question text not stored)") + "\n")
    rel = set(q.relevant)
    out.append("retrieved: ", style="dim")
    for d in q.retrieved:
        out.append(d + " ", style="bold green" if d in rel else "")
    out.append("\nrelevant:  ", style="dim")
    for d in q.relevant:
        out.append(d + " ", style="bold green" if d in q.retrieved else "red")
    out.append("\nanswer:    ", style="dim")
    out.append((q.answer or "—") + "\n")
    out.append("gold:      ", style="dim")
    out.append(" | ".join(q.gold) or "—")
    return out


def diff_rows(
    data: StudyData, a: int, b: int, metric: str | None = None
) -> tuple[str, bool, list[QuestionDiff], tuple[str, ...]] | None:
    """Per-question scores of trials ``a`` and ``b`` on one metric, the biggest loss in ``b`` first."""
    va, vb = question_view(data, a, metric), question_view(data, b, metric)
    if va is None or vb is None:
        return None
    chosen = metric if metric in va.metrics else va.metric
    maximize = _maximize(data, chosen)
    return chosen, maximize, question_diff(va.results, vb.results, chosen, maximize=maximize), va.metrics


def default_baseline(data: StudyData, selected: int | None, knee: int | None) -> int | None:
    """The trial to compare the selected one with when none is marked: the knee point, or (when the
    knee is the selected trial) the best other completed trial on the first objective."""
    if knee is not None and knee != selected:
        return knee
    ok = data.complete & (data.numbers != (selected if selected is not None else -1))
    if not ok.any():
        return None
    col = np.where(ok, data.losses[:, 0], np.inf)
    return int(data.numbers[int(np.argmin(col))])


def diff_summary(rows: list[QuestionDiff], *, maximize: bool, a: int, b: int) -> str:
    """``#b vs #a: better on 5, worse on 3, same on 4 · mean Δ +0.02``."""
    sign = 1.0 if maximize else -1.0
    deltas = np.array([d.delta for d in rows if math.isfinite(d.delta)])
    better = int((deltas * sign > 1e-12).sum())
    worse = int((deltas * sign < -1e-12).sum())
    same = deltas.size - better - worse
    mean = f"{float(deltas.mean()):+.4g}" if deltas.size else "—"
    return f"#{b} vs #{a}: better on {better}, worse on {worse}, same on {same} · mean Δ {mean}"

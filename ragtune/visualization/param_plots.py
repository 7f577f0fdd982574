"""Charts of parameters: importance bars per objective, slices, parallel coordinates."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ragtune.core.distributions import CategoricalDistribution
from ragtune.importance import ImportanceEvaluator, importances_from_columns
from ragtune.visualization.figure import Figure
from ragtune.visualization.history import as_data
from ragtune.visualization.study_data import StudyData
from ragtune.visualization.svg import PALETTE, Axis, Canvas, format_tick

if TYPE_CHECKING:
    from ragtune.core.study import Study

__all__ = ["importances_per_objective", "plot_parallel_coordinate", "plot_param_importances", "plot_slice"]

WIDTH = 760.0


def importances_per_objective(
    data: StudyData, *, evaluator: ImportanceEvaluator | None = None
) -> dict[str, dict[str, float]]:
    """``{objective: {param: importance}}`` over the COMPLETE trials (empty with fewer than 2)."""
    rows = np.flatnonzero(data.complete)
    if rows.size < 2:
        return {}
    key = f"importance-{id(evaluator)}" if evaluator is not None else "importance"
    if key not in data.cache:
        columns = data.complete_columns()
        data.cache[key] = {
            name: importances_from_columns(columns, data.losses[rows, i], evaluator=evaluator)
            for i, name in enumerate(data.objective_names)
        }
    result: dict[str, dict[str, float]] = data.cache[key]
    return result


def plot_param_importances(
    study: Study | StudyData,
    *,
    evaluator: ImportanceEvaluator | None = None,
    importances: Mapping[str, Mapping[str, float]] | None = None,
) -> Figure:
    """Horizontal bars: the PED-ANOVA importance of each parameter, one colour per objective."""
    data = as_data(study)
    imp = importances if importances is not None else importances_per_objective(data, evaluator=evaluator)
    params = sorted(
        {p for d in imp.values() for p in d}, key=lambda p: -sum(d.get(p, 0.0) for d in imp.values())
    )
    m = max(len(imp), 1)
    band = 12.0 * m + 10.0
    top, left = 64.0, 150.0
    height = top + max(len(params), 1) * band + 40
    canvas = Canvas(WIDTH, height)
    canvas.text(12, 22, f"Parameter importance · {data.name}", cls="t")
    legend_x = 12.0
    for k, name in enumerate(imp):
        canvas.rect(legend_x, 34, 10, 10, fill=PALETTE[k % len(PALETTE)])
        canvas.text(legend_x + 14, 43, name, cls="k")
        legend_x += 24 + 6.5 * len(name)
    if not params:
        canvas.text(12, top + 10, "needs at least 2 completed trials", cls="k")
        return Figure(
            f"Parameter importance of {data.name}", canvas.render(title="parameter importance"), WIDTH, height
        )
    axis = Axis(0.0, 1.0, left, WIDTH - 60)
    for v, label in axis.ticks():
        canvas.line(axis.at(v), top - 4, axis.at(v), height - 40, cls="g")
        canvas.text(axis.at(v), height - 26, label, cls="k", anchor="middle")
    canvas.text(
        (left + WIDTH - 60) / 2,
        height - 10,
        "importance (PED-ANOVA, sums to 1 per objective)",
        anchor="middle",
    )
    for j, p in enumerate(params):
        y = top + j * band
        canvas.text(left - 6, y + band / 2, _clip(p, 22), anchor="end")
        for k, (name, d) in enumerate(imp.items()):
            v = float(d.get(p, 0.0))
            canvas.rect(
                left,
                y + 4 + 12 * k,
                axis.at(v) - left,
                10,
                fill=PALETTE[k % len(PALETTE)],
                title=f"{p} · {name}: {v:.3f}",
            )
            canvas.text(axis.at(v) + 4, y + 13 + 12 * k, f"{v:.2f}", cls="k")
    return Figure(
        f"Parameter importance of {data.name}", canvas.render(title="parameter importance"), WIDTH, height
    )


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _choices(data: StudyData, name: str) -> tuple[str, ...]:
    for t in reversed(data.trials):
        d = t.distributions.get(name)
        if d is not None:
            return tuple(map(str, d.choices)) if isinstance(d, CategoricalDistribution) else ()
    return ()


def _raw_column(data: StudyData, name: str, rows: np.ndarray) -> tuple[np.ndarray, tuple[str, ...], bool]:
    """Values of a param on ``rows``: choice indices for categoricals, log10 for log-scaled params."""
    labels = _choices(data, name)
    log = any(getattr(t.distributions.get(name), "log", False) for t in data.trials[-50:])
    out = np.full(rows.size, np.nan)
    for j, r in enumerate(rows.tolist()):
        t = data.trials[r]
        if name not in t.params:
            continue
        v = t.params[name]
        if labels:
            out[j] = labels.index(str(v)) if str(v) in labels else np.nan
        elif isinstance(v, int | float) and not isinstance(v, bool):
            out[j] = math.log10(v) if log and v > 0 else float(v)
    return out, labels, log


def plot_slice(
    study: Study | StudyData, *, objective: int | str = 0, params: Sequence[str] | None = None
) -> Figure:
    """One small scatter per parameter: its value (x) against an objective (y), COMPLETE trials."""
    data = as_data(study)
    i = data.objective_index(objective)
    names = list(params) if params is not None else data.param_names()
    cols = 2
    cell_w, cell_h = (WIDTH - 20) / cols, 220.0
    n_rows = max(math.ceil(len(names) / cols), 1)
    height = 50 + n_rows * cell_h
    canvas = Canvas(WIDTH, height)
    canvas.text(12, 22, f"Slice · {data.label(i)} against each parameter · {data.name}", cls="t")
    rows = np.flatnonzero(data.complete)
    ys = data.values[rows, i]
    for k, name in enumerate(names):
        x0, y0 = 10 + (k % cols) * cell_w, 40 + (k // cols) * cell_h
        xs, labels, log = _raw_column(data, name, rows)
        present = np.isfinite(xs)
        x_axis = Axis.fit(xs, x0 + 70, x0 + cell_w - 14, labels=labels)
        y_axis = Axis.fit(ys, y0 + cell_h - 62, y0 + 12)
        canvas.frame(x_axis, y_axis, x_label=f"log10({name})" if log else name, y_label=data.label(i))
        if present.any():
            canvas.circles(x_axis.map(xs[present]), y_axis.map(ys[present]), r=2.2)
    return Figure(f"Slice of {data.name}", canvas.render(title="slice"), WIDTH, height)


def plot_parallel_coordinate(
    study: Study | StudyData,
    *,
    objective: int | str = 0,
    params: Sequence[str] | None = None,
    max_params: int = 8,
    max_lines: int = 1000,
    seed: int = 0,
) -> Figure:
    """One vertical axis per parameter (the ``max_params`` most important) and one for the objective.

    Each COMPLETE trial is a line, coloured from light (worst) to dark red (best) and drawn best
    last; a trial without a conditional param skips that axis. Above ``max_lines`` trials the best
    10% and a seeded random sample of the rest are drawn (the subtitle says so).
    """
    data = as_data(study)
    i = data.objective_index(objective)
    rows = np.flatnonzero(data.complete)
    if params is None:
        imp = importances_per_objective(data).get(data.objective_names[i], {})
        names = list(imp)[:max_params] if imp else data.param_names()[:max_params]
    else:
        names = list(params)
    trials = [data.trials[r] for r in rows]
    cols = {c.name: c for c in data.complete_columns()}
    names = [n for n in names if n in cols]
    losses = data.losses[rows, i]
    order = np.argsort(-losses, kind="stable")  # worst first, best drawn last
    note = f"{rows.size} complete trials"
    if rows.size > max_lines:
        n_best = max_lines // 10
        best, rest = order[-n_best:], order[:-n_best]
        rng = np.random.default_rng(seed)
        sample = np.sort(rng.choice(rest, size=max_lines - n_best, replace=False))
        order = np.concatenate([rest[np.isin(rest, sample)], best])
        note = f"{max_lines} of {rows.size} complete trials drawn (the best {n_best} and a random sample)"
    height = 390.0
    canvas = Canvas(WIDTH, height)
    canvas.text(12, 22, f"Parallel coordinates · {data.label(i)} · {data.name}", cls="t")
    canvas.text(12, 40, note + " · darker = better", cls="k")
    n_axes = len(names) + 1
    left, right, top, bottom = 60.0, WIDTH - 60, 84.0, height - 40
    xs = np.linspace(left, right, n_axes) if n_axes > 1 else np.array([left])
    span = bottom - top
    pos = np.full((rows.size, n_axes), np.nan)
    for a, n in enumerate(names):
        c = cols[n]
        scaled = c.values / max(c.n_choices - 1, 1) if c.categorical else c.values
        pos[:, a] = bottom - scaled * span
    vals = data.values[rows, i]
    lo, hi = float(np.min(vals)) if vals.size else 0.0, float(np.max(vals)) if vals.size else 1.0
    obj_axis = Axis(lo, hi if hi > lo else lo + 1, bottom, top)
    pos[:, -1] = obj_axis.map(vals)
    rank = np.empty(rows.size)
    rank[np.argsort(losses, kind="stable")] = np.linspace(1.0, 0.0, rows.size) if rows.size > 1 else 1.0
    for r in order.tolist():
        colour = _shade(float(rank[r]))
        seg_x: list[float] = []
        seg_y: list[float] = []
        for a in range(n_axes):
            if np.isfinite(pos[r, a]):
                seg_x.append(float(xs[a]))
                seg_y.append(float(pos[r, a]))
            elif len(seg_x) > 1:
                canvas.polyline(seg_x, seg_y, style=f"stroke:{colour};stroke-width:1;stroke-opacity:.5")
                seg_x, seg_y = [], []
            else:
                seg_x, seg_y = [], []
        if len(seg_x) > 1:
            canvas.polyline(seg_x, seg_y, style=f"stroke:{colour};stroke-width:1;stroke-opacity:.5")
    for a, n in enumerate([*names, data.label(i)]):
        x = float(xs[a])
        canvas.line(x, top, x, bottom)
        canvas.text(x, top - 22, _clip(n, 16), anchor="middle")
        if a == n_axes - 1:
            for v, label in obj_axis.ticks():
                canvas.text(x + 4, obj_axis.at(v) + 3, label, cls="k")
            continue
        labels = _choices(data, n)
        if labels:
            for k, lb in enumerate(labels):
                y = bottom - (k / max(len(labels) - 1, 1)) * span
                canvas.text(x + 4, y + 3, _clip(lb, 12), cls="k")
            continue
        dist = next((t.distributions[n] for t in reversed(trials) if n in t.distributions), None)
        if dist is not None and not isinstance(dist, CategoricalDistribution):
            scale = " (log)" if dist.log else ""
            canvas.text(x, top - 8, format_tick(float(dist.high)) + scale, cls="k", anchor="middle")
            canvas.text(x, bottom + 14, format_tick(float(dist.low)), cls="k", anchor="middle")
    return Figure(
        f"Parallel coordinates of {data.name}", canvas.render(title="parallel coordinates"), WIDTH, height
    )


def _shade(t: float) -> str:
    """From light blue (t = 0, worst) to dark red (t = 1, best)."""
    a, b = (158, 202, 225), (165, 15, 21)
    r, g, bl = (round(x + (y - x) * t) for x, y in zip(a, b, strict=True))
    return f"#{r:02x}{g:02x}{bl:02x}"

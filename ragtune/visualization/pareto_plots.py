"""``plot_pareto_front``: two objectives as one scatter, three or more as a scatter matrix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ragtune.exceptions import ValidationError
from ragtune.visualization.figure import Figure
from ragtune.visualization.history import MAX_TOOLTIPS, as_data
from ragtune.visualization.study_data import StudyData
from ragtune.visualization.svg import Axis, Canvas

if TYPE_CHECKING:
    from ragtune.core.study import Study

__all__ = ["plot_pareto_front"]

WIDTH = 760.0


def _panel(canvas: Canvas, data: StudyData, i: int, j: int, box: tuple[float, float, float, float]) -> None:
    """Objective ``i`` (x) against ``j`` (y) inside ``box = (left, top, right, bottom)``."""
    left, top, right, bottom = box
    done = data.complete
    x_axis = Axis.fit(data.values[done, i], left, right)
    y_axis = Axis.fit(data.values[done, j], bottom, top)
    canvas.frame(x_axis, y_axis, x_label=data.label(i), y_label=data.label(j))
    infeasible = done & ~data.feasible
    dominated = done & data.feasible & ~data.front
    if infeasible.any():
        canvas.circles(
            x_axis.map(data.values[infeasible, i]), y_axis.map(data.values[infeasible, j]), cls="p", r=2
        )
    if dominated.any():
        titles = None
        if int(dominated.sum()) <= MAX_TOOLTIPS:
            titles = [f"#{n}" for n in data.numbers[dominated]]
        canvas.circles(
            x_axis.map(data.values[dominated, i]), y_axis.map(data.values[dominated, j]), titles=titles
        )
    front = np.flatnonzero(data.front)
    if front.size:
        order = front[np.argsort(data.values[front, i], kind="stable")]
        titles = [f"#{n} (front)" for n in data.numbers[order]]
        canvas.circles(
            x_axis.map(data.values[order, i]),
            y_axis.map(data.values[order, j]),
            cls="f",
            r=3.5,
            titles=titles,
        )
    if data.chosen is not None:
        rows = np.flatnonzero(data.numbers == data.chosen)
        if rows.size and done[rows[0]]:
            r = int(rows[0])
            cx, cy = x_axis.at(float(data.values[r, i])), y_axis.at(float(data.values[r, j]))
            canvas.circles(np.array([cx]), np.array([cy]), cls="c", r=6, titles=[f"#{data.chosen} (chosen)"])
            canvas.text(cx + 8, cy - 6, f"chosen #{data.chosen}", cls="k")


def plot_pareto_front(study: Study | StudyData, *, objectives: Sequence[int | str] | None = None) -> Figure:
    """The COMPLETE trials on two objectives (red: the Pareto front of the feasible ones, hollow:
    infeasible, yellow: the chosen trade-off). With three or more objectives: every pair, as a
    scatter matrix (the front is the front in all objectives, so a front point can look dominated
    in one pair)."""
    data = as_data(study)
    which = (
        [data.objective_index(o) for o in objectives]
        if objectives is not None
        else list(range(data.n_objectives))
    )
    if len(which) < 2:
        raise ValidationError(
            f"a Pareto front needs at least 2 objectives, but study {data.name!r} has {len(which)}; "
            "use plot_history for one objective"
        )
    n_front = int(data.front.sum())
    subtitle = f"{int(data.complete.sum())} complete trials · front {n_front} (red) · infeasible hollow"
    if len(which) == 2:
        height = 480.0
        canvas = Canvas(WIDTH, height)
        canvas.text(12, 22, f"Pareto front · {data.name}", cls="t")
        canvas.text(12, 40, subtitle, cls="k")
        _panel(canvas, data, which[0], which[1], (90.0, 60.0, WIDTH - 20, height - 50))
        return Figure(f"Pareto front of {data.name}", canvas.render(title="pareto front"), WIDTH, height)
    k = len(which) - 1
    cell = (WIDTH - 40) / k
    height = 60 + k * cell
    canvas = Canvas(WIDTH, height)
    canvas.text(12, 22, f"Pareto front, every pair of objectives · {data.name}", cls="t")
    canvas.text(12, 40, subtitle, cls="k")
    for row in range(k):
        for col in range(row + 1):
            x0, y0 = 20 + col * cell, 50 + row * cell
            _panel(
                canvas, data, which[col], which[row + 1], (x0 + 70, y0 + 10, x0 + cell - 10, y0 + cell - 46)
            )
    return Figure(f"Pareto front of {data.name}", canvas.render(title="pareto front"), WIDTH, height)

"""``plot_history``: each objective over trial numbers, with the running best and pruned trials."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ragtune.core.directions import loss_signs
from ragtune.core.trial_state import TrialState
from ragtune.visualization.figure import Figure
from ragtune.visualization.study_data import StudyData, running_best
from ragtune.visualization.svg import Axis, Canvas

if TYPE_CHECKING:
    from ragtune.core.study import Study

__all__ = ["MAX_TOOLTIPS", "as_data", "plot_history"]

WIDTH = 760.0
PANEL = 230.0
LEFT, RIGHT, TOP = 78.0, 20.0, 52.0
MAX_TOOLTIPS = 2000
"""Above this many dots a chart leaves out per-dot hover titles (they would dominate its size)."""


def as_data(study: Study | StudyData) -> StudyData:
    return study if isinstance(study, StudyData) else StudyData.from_study(study)


def plot_history(study: Study | StudyData, *, objectives: Sequence[int | str] | None = None) -> Figure:
    """Objective value against trial number, one panel per objective.

    Dots are COMPLETE trials, hollow grey circles pruned trials at the last value they reported,
    the red step line the best feasible value so far (in the objective's direction).
    """
    data = as_data(study)
    which = (
        [data.objective_index(o) for o in objectives]
        if objectives is not None
        else list(range(data.n_objectives))
    )
    height = TOP + len(which) * (PANEL + 30)
    canvas = Canvas(WIDTH, height)
    pruned = data.state_mask(TrialState.PRUNED)
    n_fail = int(data.state_mask(TrialState.FAIL).sum())
    canvas.text(12, 22, f"Optimisation history · {data.name}", cls="t")
    canvas.text(
        12,
        40,
        f"{int(data.complete.sum())} complete (dots) · {int(pruned.sum())} pruned (hollow, last reported value)"
        f" · {n_fail} failed · red line: best so far",
        cls="k",
    )
    xs_all = data.numbers.astype(np.float64)
    for panel, i in enumerate(which):
        top = TOP + panel * (PANEL + 30) + 8
        bottom = top + PANEL - 40
        done = data.complete
        stopped = pruned & np.isfinite(data.last_values[:, i])
        ys = np.concatenate([data.values[done, i], data.last_values[stopped, i]])
        x_axis = Axis.fit(xs_all, LEFT, WIDTH - RIGHT)
        y_axis = Axis.fit(ys, bottom, top)
        canvas.frame(x_axis, y_axis, x_label="trial number", y_label=data.label(i))
        if stopped.any():
            canvas.circles(
                x_axis.map(xs_all[stopped]), y_axis.map(data.last_values[stopped, i]), cls="p", r=2.5
            )
        if done.any():
            titles = None
            if int(done.sum()) <= MAX_TOOLTIPS:
                titles = [
                    f"#{n}: {v:.4g}" for n, v in zip(data.numbers[done], data.values[done, i], strict=True)
                ]
            canvas.circles(x_axis.map(xs_all[done]), y_axis.map(data.values[done, i]), cls="d", titles=titles)
        ok = done & data.feasible
        best = running_best(np.where(ok, data.losses[:, i], np.nan)) * loss_signs(data.directions)[i]
        keep = np.isfinite(best)
        if keep.any():
            bx, by = xs_all[keep], best[keep]
            step_x = np.repeat(bx, 2)[1:]
            step_y = np.repeat(by, 2)[:-1]
            step_x = np.append(step_x, xs_all[-1])
            step_y = np.append(step_y, by[-1])
            canvas.polyline(x_axis.map(step_x), y_axis.map(step_y), cls="b")
    return Figure(
        f"Optimisation history of {data.name}", canvas.render(title="optimisation history"), WIDTH, height
    )

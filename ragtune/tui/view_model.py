"""What the TUI shows, computed without Textual: Pareto rows, filters, sorting, knee, plot points.

:class:`StudyModel` turns one read of a study into arrays; :class:`ViewState` holds the user's
choices (all trials or the front, sort column, filters, plot axes); :func:`build_view` derives
which trials pass, the front among them, the knee point and the table order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from ragtune.choice import CHOICE_ATTR, objective_names
from ragtune.core.directions import StudyDirection, loss_signs
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.pareto import is_pareto_front
from ragtune.core.trial_state import TrialState
from ragtune.objectives.results import study_constraints, trial_metrics
from ragtune.tui.filters import Filter, parse_filters, parse_filters_partly
from ragtune.tui.knee import knee_index
from ragtune.tui.scatter_geometry import DOTS, FRONT, INFEASIBLE, PlotPoints

__all__ = [
    "NUMBER",
    "Filter",
    "FrontView",
    "StudyModel",
    "ViewState",
    "build_view",
    "filter_hint",
    "format_number",
    "parse_filters",
    "parse_filters_partly",
    "plot_points",
    "summarise_params",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

NUMBER = "#"
"""Column / axis key of the trial number."""


def format_number(value: float | None) -> str:
    """Four significant digits (``0.6123``, ``123.4``, ``1.2e-05``); ``—`` for a missing value."""
    if value is None or not math.isfinite(value):
        return "—"
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    text = f"{value:.4g}"
    return text.replace("e-0", "e-").replace("e+0", "e+")


def _format_param(value: Any) -> str:
    if isinstance(value, float):
        return format_number(value)
    return str(value)


def summarise_params(params: Mapping[str, Any], *, max_len: int = 60) -> str:
    """``name=value`` pairs separated by spaces, cut with ``…`` beyond ``max_len`` characters."""
    text = " ".join(f"{k}={_format_param(v)}" for k, v in params.items())
    return text if len(text) <= max_len else text[: max_len - 1] + "…"


@dataclass(frozen=True, slots=True)
class ObjectiveColumn:
    """One objective of the study: its name and direction."""

    name: str
    direction: StudyDirection

    @property
    def arrow(self) -> str:
        return "↑" if self.direction is StudyDirection.MAXIMIZE else "↓"


class StudyModel:
    """One read of a study as arrays; trials are ordered by number."""

    def __init__(
        self,
        name: str,
        directions: Sequence[StudyDirection],
        trials: Sequence[FrozenTrial],
        *,
        user_attrs: Mapping[str, Any] | None = None,
        system_attrs: Mapping[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.directions = tuple(directions)
        system = dict(system_attrs or {})
        self.objectives = tuple(
            ObjectiveColumn(n, d)
            for n, d in zip(objective_names(self.directions, system), self.directions, strict=True)
        )
        self.constraints: tuple[str, ...] = tuple(study_constraints(system))
        self.trials = tuple(sorted(trials, key=lambda t: t.number))
        self.numbers: IntArray = np.array([t.number for t in self.trials], dtype=np.int64)
        self._row = {t.number: i for i, t in enumerate(self.trials)}
        m = len(self.directions)
        self.values: FloatArray = np.full((len(self.trials), m), np.nan)
        for i, t in enumerate(self.trials):
            if t.state is TrialState.COMPLETE and t.values is not None and len(t.values) == m:
                self.values[i] = t.values
        self.complete: BoolArray = np.asarray(np.isfinite(self.values).all(axis=1), dtype=bool)
        self.feasible: BoolArray = np.array([t.feasible for t in self.trials], dtype=bool)
        self.losses: FloatArray = self.values * loss_signs(self.directions)
        self.metric_names = self._metric_names()
        self._columns: dict[str, FloatArray] = {NUMBER: self.numbers.astype(np.float64)}
        for i, o in enumerate(self.objectives):
            self._columns[o.name] = self.values[:, i]
        choice = system.get(CHOICE_ATTR)
        chosen = choice.get("trial") if isinstance(choice, Mapping) else None
        self.chosen: int | None = chosen if isinstance(chosen, int) else None
        self.chosen_at: str | None = str(choice.get("chosen_at")) if isinstance(choice, Mapping) else None
        path = choice.get("path") if isinstance(choice, Mapping) else None
        self.chosen_path: str | None = path if isinstance(path, str) else None
        source = dict(system_attrs or {}).get("ragtune:pipeline_file")
        #: The pipeline file ``ragtune optimize`` ran for this study, when it recorded one.
        self.pipeline_file: str | None = source if isinstance(source, str) else None

    def _metric_names(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        objective_set = {o.name for o in self.objectives}
        for t in self.trials:
            metrics = trial_metrics(t)
            if metrics:
                for k, v in metrics.items():
                    if k not in objective_set and isinstance(v, int | float) and not isinstance(v, bool):
                        seen.setdefault(str(k), None)
        return tuple(seen)

    @property
    def objective_names(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.objectives)

    @property
    def filterable(self) -> tuple[str, ...]:
        """Names a filter may use: objectives first, then the other recorded metrics."""
        return self.objective_names + self.metric_names

    def column(self, name: str) -> FloatArray:
        """Values of an objective, metric or the trial number for every trial (NaN where missing)."""
        if name not in self._columns:
            if name not in self.metric_names:
                raise KeyError(name)
            col = np.full(len(self.trials), np.nan)
            for i, t in enumerate(self.trials):
                v = trial_metrics(t).get(name)
                if isinstance(v, int | float) and not isinstance(v, bool):
                    col[i] = float(v)
            self._columns[name] = col
        return self._columns[name]

    def row_of(self, number: int) -> int | None:
        return self._row.get(number)

    def trial(self, number: int) -> FrozenTrial | None:
        i = self._row.get(number)
        return None if i is None else self.trials[i]


# -- the derived view ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ViewState:
    """What the user chose to see."""

    show_all: bool = False
    sort_key: str = NUMBER
    reverse: bool = False
    filters: tuple[Filter, ...] = ()
    x_axis: str = NUMBER
    y_axis: str = NUMBER
    zoom: bool = False
    """Plot only the region of the trials that pass (constraints and filters)."""


def default_state(model: StudyModel) -> ViewState:
    """Front only, sorted by the first objective (best first), the first two objectives as axes."""
    names = model.objective_names
    x, y = (names[0], names[1]) if len(names) > 1 else (NUMBER, names[0])
    return ViewState(sort_key=names[0], x_axis=x, y_axis=y)


@dataclass(frozen=True, slots=True)
class FrontView:
    """Derived from a model and a state: who passes, the front among them, the knee, the table order."""

    passing: BoolArray
    front: BoolArray
    knee: int | None
    order: IntArray
    errors: tuple[str, ...] = field(default=())


def _sort_order(model: StudyModel, candidates: IntArray, state: ViewState) -> IntArray:
    key = state.sort_key if state.sort_key == NUMBER or state.sort_key in model.objective_names else NUMBER
    values = model.column(key)[candidates]
    if key != NUMBER:
        idx = model.objective_names.index(key)
        values = values * (1.0 if model.directions[idx] is StudyDirection.MINIMIZE else -1.0)
    if state.reverse:
        values = -values
    missing = ~np.isfinite(values)
    filled = np.where(missing, 0.0, values)
    # Primary key last: missing values last, then the key, then trial number.
    order = np.lexsort((model.numbers[candidates], filled, missing))
    return candidates[order]


def build_view(model: StudyModel, state: ViewState) -> FrontView:
    """Apply filters, find the Pareto front of the passing COMPLETE feasible trials, its knee, and sort."""
    passing = model.complete & model.feasible
    for f in state.filters:
        try:
            passing &= f.mask(model.column(f.metric))
        except KeyError:
            passing &= False
    front = np.zeros(len(model.trials), dtype=bool)
    knee: int | None = None
    rows = np.flatnonzero(passing)
    if rows.size:
        on_front = is_pareto_front(model.losses[rows])
        front[rows[on_front]] = True
        front_rows = rows[on_front]
        k = knee_index(model.losses[front_rows])
        knee = int(model.numbers[front_rows[k]]) if k is not None else None
    shown = np.arange(len(model.trials)) if state.show_all else np.flatnonzero(front)
    return FrontView(passing, front, knee, _sort_order(model, shown, state))


def plot_points(model: StudyModel, view: FrontView, state: ViewState, *, selected: int | None) -> PlotPoints:
    """Completed trials with finite coordinates on the chosen axes, with their kinds."""

    def label(key: str) -> str:
        if key == NUMBER:
            return "trial number"
        for o in model.objectives:
            if o.name == key:
                return f"{o.name} {o.arrow} ({'max' if o.direction is StudyDirection.MAXIMIZE else 'min'})"
        return key

    xs, ys = model.column(state.x_axis), model.column(state.y_axis)
    keep = model.complete & np.isfinite(xs) & np.isfinite(ys)
    zoomed = state.zoom and bool((keep & view.passing).any())
    if zoomed:
        inside = keep & view.passing
        with np.errstate(invalid="ignore"):
            keep &= (xs >= xs[inside].min()) & (xs <= xs[inside].max())
            keep &= (ys >= ys[inside].min()) & (ys <= ys[inside].max())
    kinds = np.where(view.front, FRONT, np.where(view.passing, DOTS, INFEASIBLE)).astype(np.int64)
    return PlotPoints(
        xs[keep],
        ys[keep],
        model.numbers[keep],
        kinds[keep],
        label(state.x_axis),
        label(state.y_axis) + ("  · zoomed (z)" if zoomed else ""),
        knee=view.knee,
        selected=selected,
    )


def filter_hint(model: StudyModel) -> str:
    """Placeholder of the filter box, with this study's first two objectives and their median values."""
    examples = []
    for o in model.objectives[:2]:
        col = model.column(o.name)[model.complete]
        bound = format_number(float(np.median(col))) if col.size else "0.5"
        examples.append(f"{o.name} {'>=' if o.direction is StudyDirection.MAXIMIZE else '<='} {bound}")
    return f"/ to filter, e.g. {', '.join(examples)}"


def status_line(model: StudyModel, view: FrontView, state: ViewState) -> str:
    """One line: counts of trials, passing and front, the knee, the filters in force."""
    n_done = int(model.complete.sum())
    parts = [
        f"{len(model.trials)} trials",
        f"{n_done} complete",
        f"{int(view.passing.sum())} " + ("pass the filters" if state.filters else "feasible"),
        f"front {int(view.front.sum())}",
    ]
    if view.knee is not None:
        parts.append(f"knee #{view.knee}")
    if model.chosen is not None:
        parts.append(f"chosen #{model.chosen}")
    return " · ".join(parts)

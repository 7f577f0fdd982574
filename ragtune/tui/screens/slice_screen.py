"""Slice view (``l``): one parameter against one objective, the front marked."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from ragtune.tui.analysis import slice_points
from ragtune.tui.screens.analysis_base import AnalysisScreen, ViewContext
from ragtune.tui.widgets import ScatterPlot
from ragtune.visualization import importances_per_objective


class SliceScreen(AnalysisScreen):
    """``n`` / ``N`` next / previous parameter (most important first), ``o`` next objective."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "next_param(1)", "Param"),
        Binding("N", "next_param(-1)", "Prev param", show=False),
        Binding("o", "next_objective", "Objective"),
    ]
    VIEW = "slice"
    TITLE_TEXT = "slice"

    def __init__(self, context: ViewContext) -> None:
        super().__init__(context)
        self.objective = 0
        self.param = 0
        self.params: list[str] = []

    def compose_body(self) -> ComposeResult:
        yield ScatterPlot(id="view-body")

    def _order_params(self) -> None:
        imp = importances_per_objective(self.data).get(self.data.objective_names[self.objective], {})
        names = self.data.param_names()
        self.params = sorted(names, key=lambda p: -imp.get(p, 0.0))

    def refresh_view(self) -> None:
        if not self.params:
            self._order_params()
        if not self.params:
            self.set_status("no parameters in this study")
            return
        name = self.params[self.param % len(self.params)]
        points, note = slice_points(self.data, name, self.objective, selected=self.context.selected)
        self.query_one(ScatterPlot).show(points, np.zeros(points.xs.size, dtype=bool))
        self.set_status(
            f"{name} ({self.param % len(self.params) + 1}/{len(self.params)}) · {note} · ●: front"
        )

    def action_next_param(self, step: int) -> None:
        self.param = (self.param + step) % max(len(self.params), 1)
        self.refresh_view()

    def action_next_objective(self) -> None:
        self.objective = (self.objective + 1) % self.data.n_objectives
        self.params = []
        self.param = 0
        self.refresh_view()

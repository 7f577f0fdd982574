"""History view (``h``): an objective over trial numbers, pruned trials and each new best marked."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from ragtune.tui.analysis import history_points
from ragtune.tui.screens.analysis_base import AnalysisScreen, ViewContext
from ragtune.tui.widgets import ScatterPlot


class HistoryScreen(AnalysisScreen):
    """``o`` shows the next objective."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("o", "next_objective", "Objective")]
    VIEW = "history"
    TITLE_TEXT = "history"

    def __init__(self, context: ViewContext) -> None:
        super().__init__(context)
        self.objective = 0

    def compose_body(self) -> ComposeResult:
        yield ScatterPlot(id="view-body")

    def refresh_view(self) -> None:
        points, summary = history_points(self.data, self.objective, selected=self.context.selected)
        self.query_one(ScatterPlot).show(points, np.zeros(points.xs.size, dtype=bool))
        name = self.data.objective_names[self.objective]
        self.set_status(f"{name} over trials · {summary}")

    def action_next_objective(self) -> None:
        self.objective = (self.objective + 1) % self.data.n_objectives
        self.refresh_view()

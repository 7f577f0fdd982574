"""Diff view (``d``): two trials' per-question scores side by side, the biggest change first."""

from __future__ import annotations

import math
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from ragtune.tui.analysis import default_baseline, diff_rows, diff_summary
from ragtune.tui.screens.analysis_base import AnalysisScreen, ViewContext
from ragtune.tui.view_model import format_number


class DiffScreen(AnalysisScreen):
    """Compares the marked trial (``m`` on the study screen; without one the knee, or the best other
    trial when the knee is selected) with the selected one.

    ``o`` next metric, ``x`` swaps the two trials.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "next_metric", "Metric"),
        Binding("x", "swap", "Swap"),
    ]
    VIEW = "diff"
    TITLE_TEXT = "per-question diff"

    def __init__(self, context: ViewContext) -> None:
        super().__init__(context)
        self.metric: str | None = None
        self.metrics: tuple[str, ...] = ()
        marked = context.marked if context.marked != context.selected else None
        base = (
            marked if marked is not None else default_baseline(context.data, context.selected, context.knee)
        )
        self.a, self.b = base, context.selected

    def compose_body(self) -> ComposeResult:
        yield DataTable(id="view-body", cursor_type="row", zebra_stripes=True)

    def refresh_view(self) -> None:
        table = self.query_one(DataTable)
        table.clear(columns=True)
        a, b = self.a, self.b
        if a is None or b is None or a == b:
            self.set_status(
                "select a trial, press m to mark it, select another, then d (without a mark: the knee is compared)"
            )
            return
        found = diff_rows(self.data, a, b, self.metric)
        if found is None:
            self.set_status(f"trial #{a} or #{b} stored no per-question results")
            return
        metric, maximize, rows, self.metrics = found
        self.metric = metric
        marked, knee = self.context.marked, self.context.knee
        origin = "marked" if a == marked else "knee" if a == knee else "best other"
        self.set_status(f"{metric}: {diff_summary(rows, maximize=maximize, a=a, b=b)}")
        table.add_columns("question", f"#{a} ({origin})", f"#{b}", "Δ")
        sign = 1.0 if maximize else -1.0
        for d in rows:
            delta = d.delta
            style = (
                ""
                if not math.isfinite(delta) or abs(delta) < 1e-12
                else ("green" if delta * sign > 0 else "red")
            )
            shown = f"{delta:+.4g}" if math.isfinite(delta) else "—"
            table.add_row(
                f"{d.question_id} {d.text}"[:44],
                format_number(d.a),
                format_number(d.b),
                Text(shown, style=style),
            )
        table.focus()

    def action_next_metric(self) -> None:
        if len(self.metrics) > 1 and self.metric in self.metrics:
            self.metric = self.metrics[(self.metrics.index(self.metric) + 1) % len(self.metrics)]
            self.refresh_view()

    def action_swap(self) -> None:
        self.a, self.b = self.b, self.a
        self.refresh_view()

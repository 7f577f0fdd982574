"""Questions view (``w``): the selected trial's questions, worst first, with documents and answers."""

from __future__ import annotations

import math
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from ragtune.tui.analysis import QuestionView, question_detail, question_view
from ragtune.tui.screens.analysis_base import AnalysisScreen, ViewContext
from ragtune.tui.view_model import format_number
from ragtune.visualization.questions import QuestionResult


def _answer_mark(q: QuestionResult) -> Text:
    if not q.gold:
        return Text("—", style="dim")
    if q.answer is None:
        return Text("no answer", style="dim")
    ok = any(g.strip().lower() in q.answer.lower() for g in q.gold if g.strip())
    return Text("✓ gold" if ok else "✗", style="green" if ok else "red")


class QuestionsScreen(AnalysisScreen):
    """``o`` sorts by the next metric; the pane below shows the highlighted question in full."""

    DEFAULT_CSS = """
    QuestionsScreen #view-body { height: 1fr; }
    QuestionsScreen #question-detail { height: 6; margin: 0 1; border-top: hkey $surface-lighten-2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("o", "next_metric", "Metric")]
    VIEW = "questions"
    TITLE_TEXT = "questions"

    def __init__(self, context: ViewContext) -> None:
        super().__init__(context)
        self.metric: str | None = None
        self.view: QuestionView | None = None

    def compose_body(self) -> ComposeResult:
        yield DataTable(id="view-body", cursor_type="row", zebra_stripes=True)
        yield Static("", id="question-detail")

    def refresh_view(self) -> None:
        table = self.query_one(DataTable)
        table.clear(columns=True)
        number = self.context.selected
        if number is None:
            self.set_status("select a trial on the study screen first")
            return
        self.view = question_view(self.data, number, self.metric)
        if self.view is None:
            self.set_status(f"trial #{number} stored no per-question results")
            self.query_one("#question-detail", Static).update("")
            return
        v = self.view
        self.metric = v.metric
        better = "higher" if v.maximize else "lower"
        self.set_status(
            f"trial #{number} · {len(v.results)} questions, worst first on {v.metric} ({better} is better)"
        )
        table.add_columns("question", v.metric, "hits", "answer")
        for q in v.results:
            score = q.scores.get(v.metric, math.nan)
            hits = f"{len(q.hits)}/{len(q.relevant)}" if q.relevant else "—"
            label = f"{q.question_id} {q.text}"[:40]
            table.add_row(label, format_number(score), hits, _answer_mark(q), key=q.question_id)
        table.focus()
        self._show_detail(0)

    def _show_detail(self, row: int) -> None:
        if self.view is not None and 0 <= row < len(self.view.results):
            self.query_one("#question-detail", Static).update(question_detail(self.view.results[row]))

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail(event.cursor_row)

    def action_next_metric(self) -> None:
        if self.view is not None and len(self.view.metrics) > 1:
            metrics = self.view.metrics
            self.metric = metrics[(metrics.index(self.view.metric) + 1) % len(metrics)]
            self.refresh_view()

"""Importance view (``i``): PED-ANOVA bars of every parameter, one bar per objective."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ragtune.tui.analysis import importance_text
from ragtune.tui.screens.analysis_base import AnalysisScreen


class ImportanceScreen(AnalysisScreen):
    """Scroll with the arrow keys when the parameters do not fit."""

    VIEW = "importance"
    TITLE_TEXT = "parameter importance"

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="view-body"):
            yield Static("", id="importance-bars")

    def refresh_view(self) -> None:
        n = int(self.data.complete.sum())
        self.set_status(f"importance per objective over {n} completed trials (largest first)")
        width = max(self.size.width - 4, 30)
        self.query_one("#importance-bars", Static).update(importance_text(self.data, width=width))
        self.query_one(VerticalScroll).focus()

    def on_resize(self, event: events.Resize) -> None:
        del event
        self.refresh_view()

"""The detail pane: every fact about the selected trial, in titled sections laid out side by side."""

from __future__ import annotations

from collections.abc import Sequence

from rich.columns import Columns
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ragtune.tui.trial_details import DetailSection


def _section(section: DetailSection) -> Table:
    table = Table.grid(padding=(0, 1))
    table.min_width = len(section.title)
    table.add_column(style="dim", no_wrap=True)
    table.add_column(overflow="fold")
    table.title = section.title
    table.title_style = "bold"
    table.title_justify = "left"
    for key, value in section.lines:
        table.add_row(key, Text(value))
    return table


class TrialDetail(VerticalScroll):
    """Scrolls when the sections are taller than the pane."""

    def compose(self) -> ComposeResult:
        yield Static("", id="detail-body")

    def show(self, sections: Sequence[DetailSection]) -> None:
        body = self.query_one("#detail-body", Static)
        body.update(Columns([_section(s) for s in sections], padding=(0, 3)))

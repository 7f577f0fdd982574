"""The keyboard help screen (``?``): keys, plot legend and what the knee point is."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: tuple[tuple[str, str], ...] = (
    ("↑ ↓ PgUp PgDn", "move through the table; the plot and detail pane follow"),
    ("a", "show all trials / only the Pareto front"),
    ("s / S", "sort by the next objective / reverse the order (or click a column header)"),
    ("x / y", "next objective on the plot's x / y axis (or use the selectors)"),
    ("z", "zoom the plot to the trials that pass (constraints and filters) / show all"),
    ("/", "type constraint filters, e.g. latency_p95_ms <= 80, safety_pass_rate >= 0.99"),
    ("Esc (in filter)", "back to the table; the filter stays"),
    ("k", "jump to the knee point"),
    ("c", "choose the selected trial (asks to confirm, then writes the config)"),
    ("p", "show the Python snippet that replays the choice"),
    ("v", "views: h history, i importance, l slice, w questions of the selected trial, d diff"),
    ("m", "mark the selected trial; d then compares it with the next selected one"),
    ("ctrl+r", "re-read the study now (it also refreshes on its own while trials run)"),
    ("Esc", "back to the list of studies"),
    ("?", "this help"),
    ("q", "quit"),
    ("mouse", "click rows, column headers, plot points, selectors and buttons"),
)

LEGEND = (
    ("●", "bold green", "on the Pareto front (of trials that pass the filters)"),
    ("◆", "bold magenta", "knee point: the suggested trade-off"),
    ("◉", "bold yellow", "selected trial"),
    ("×", "red", "infeasible (study constraints) or filtered out"),
    ("⠢", "grey50", "other completed trials"),
    ("★", "bold yellow", "(table) the trial chosen earlier"),
)

KNEE = (
    "The knee point is the front point furthest from the hyperplane through the front's extreme "
    "points, after scaling every objective to [0, 1] (ideal..nadir). With two objectives that is the "
    "point with the largest distance to the line between the two extremes: where giving up a little "
    "of one objective stops buying much of the other."
)


def _help_table() -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for key, what in KEYS:
        table.add_row(key, what)
    table.add_row("", "")
    for glyph, style, what in LEGEND:
        table.add_row(Text(glyph, style=style), what)
    table.add_row("", "")
    table.add_row("knee", KNEE)
    return table


class HelpScreen(ModalScreen[None]):
    """Closes with Esc, ? or q."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("question_mark", "close", "Close", show=False),
        Binding("q", "close", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-dialog"):
            yield Static("ragtune tui — keys", id="help-title")
            yield Static(_help_table())
            yield Static("Esc to close", classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)

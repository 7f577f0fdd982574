"""The frame every analysis view shares: header, status line, keys to the other views, Esc back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from ragtune.visualization import StudyData

__all__ = ["VIEW_KEYS", "AnalysisScreen", "ViewContext"]

VIEW_KEYS: tuple[tuple[str, str, str], ...] = (
    ("h", "history", "History"),
    ("i", "importance", "Importance"),
    ("l", "slice", "Slice"),
    ("w", "questions", "Questions"),
    ("d", "diff", "Diff"),
)
"""(key, view name, footer label) of every analysis view; the same keys work on the study screen."""


@dataclass(frozen=True, slots=True)
class ViewContext:
    """What a view is opened with: the study's arrays and the trials the study screen points at."""

    data: StudyData
    selected: int | None
    marked: int | None
    knee: int | None


class AnalysisScreen(Screen[None]):
    """Base of the analysis views; subclasses fill :meth:`compose_body` and :meth:`refresh_view`."""

    DEFAULT_CSS = """
    AnalysisScreen #view-status { height: auto; max-height: 2; margin: 0 1; color: $text-muted; }
    AnalysisScreen #view-body { height: 1fr; margin: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        *(Binding(key, f"app.view('{name}')", label) for key, name, label in VIEW_KEYS),
        Binding("question_mark", "app.help", "Help", show=False),
        Binding("q", "app.quit", "Quit", show=False),
    ]
    VIEW = ""
    TITLE_TEXT = ""

    def __init__(self, context: ViewContext) -> None:
        super().__init__()
        self.context = context

    @property
    def data(self) -> StudyData:
        return self.context.data

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="view-status", markup=False)
        yield from self.compose_body()
        yield Footer(compact=True, show_command_palette=False)

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.title = f"ragtune · {self.data.name} · {self.TITLE_TEXT}"
        self.refresh_view()

    def refresh_view(self) -> None:
        """Draw the view from ``self.context`` and the view's own choices."""

    def set_status(self, text: str) -> None:
        self.query_one("#view-status", Static).update(text)

    def action_back(self) -> None:
        self.app.pop_screen()

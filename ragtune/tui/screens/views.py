"""Opening the analysis views from the study screen (or from one another), and the ``v`` menu."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ragtune.tui.analysis import analysis_data
from ragtune.tui.screens.analysis_base import VIEW_KEYS, AnalysisScreen, ViewContext
from ragtune.tui.screens.diff_screen import DiffScreen
from ragtune.tui.screens.history_screen import HistoryScreen
from ragtune.tui.screens.importance_screen import ImportanceScreen
from ragtune.tui.screens.questions_screen import QuestionsScreen
from ragtune.tui.screens.slice_screen import SliceScreen
from ragtune.tui.screens.study_screen import StudyScreen

if TYPE_CHECKING:
    from textual.app import App

__all__ = ["VIEWS", "ViewsMenuScreen", "mark_trial", "open_view", "views_available"]

VIEWS: dict[str, type[AnalysisScreen]] = {
    "history": HistoryScreen,
    "importance": ImportanceScreen,
    "slice": SliceScreen,
    "questions": QuestionsScreen,
    "diff": DiffScreen,
}
_DESCRIPTIONS = {
    "history": "objectives over trials, best so far",
    "importance": "which parameters matter (PED-ANOVA)",
    "slice": "one parameter against one objective",
    "questions": "selected trial's worst questions",
    "diff": "marked (m) vs selected trial, per question",
}


def _study_screen(app: App[None]) -> StudyScreen | None:
    for screen in reversed(app.screen_stack):
        if isinstance(screen, StudyScreen):
            return screen
    return None


def views_available(app: App[None]) -> bool:
    """Views open from the study screen, its views and the menu, once the study is read."""
    study = _study_screen(app)
    on_top = isinstance(app.screen, StudyScreen | AnalysisScreen | ViewsMenuScreen)
    return on_top and study is not None and study.model is not None


def mark_trial(app: App[None]) -> int | None:
    """Mark the study screen's selected trial as the diff's baseline; return it."""
    study = _study_screen(app)
    if study is None or study.selected is None:
        app.notify("select a trial first", severity="warning")
        return None
    app.marked_trial = study.selected  # type: ignore[attr-defined]
    app.notify(f"marked trial #{study.selected}; select another and press d to compare")
    return study.selected


def open_view(app: App[None], name: str) -> None:
    """Show view ``name`` over the study screen (replacing a view already shown)."""
    study = _study_screen(app)
    if study is None or study.model is None or name not in VIEWS:
        return
    storage = getattr(app, "storage", None)
    user_attrs, system_attrs = {}, {}
    if storage is not None:
        try:
            sid = storage.get_study_id_from_name(study.study_name)
            user_attrs, system_attrs = storage.get_study_user_attrs(sid), storage.get_study_system_attrs(sid)
        except Exception:  # a vanished storage shows on the study screen's error bar
            pass
    data = analysis_data(study.model, user_attrs, system_attrs)
    knee = study.view.knee if study.view is not None else None
    context = ViewContext(data, study.selected, getattr(app, "marked_trial", None), knee)
    screen = VIEWS[name](context)
    if isinstance(app.screen, ViewsMenuScreen):
        app.pop_screen()
    if isinstance(app.screen, AnalysisScreen):
        app.switch_screen(screen)  # views replace each other; Esc goes back to the study
    else:
        app.push_screen(screen)


class ViewsMenuScreen(ModalScreen[None]):
    """The list of analysis views; Enter or the view's key opens it, Esc closes."""

    DEFAULT_CSS = """
    ViewsMenuScreen { align: center middle; background: $background 60%; }
    #views-dialog { width: 64; max-width: 95%; height: auto; border: thick $primary; background: $surface; padding: 0 1; }
    #views-dialog OptionList { height: auto; border: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("v", "close", "Close", show=False),
        *(Binding(key, f"app.view('{name}')", label, show=False) for key, name, label in VIEW_KEYS),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="views-dialog"):
            yield Static("Views: Enter or the key (m marks a trial for d)", markup=False)
            yield OptionList(
                *(
                    Option(f"{key}  {label:<11} {_DESCRIPTIONS[name]}", id=name)
                    for key, name, label in VIEW_KEYS
                )
            )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            open_view(self.app, event.option.id)

    def action_close(self) -> None:
        self.dismiss(None)

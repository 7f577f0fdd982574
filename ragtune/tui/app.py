"""The ragtune TUI app and the one factory (:func:`create_app`) used by the CLI and the tests."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from ragtune.storage import get_storage
from ragtune.storage.base import Storage
from ragtune.tui.screens import HelpScreen, StudyPickerScreen, StudyScreen
from ragtune.tui.screens.analysis_base import VIEW_KEYS
from ragtune.tui.screens.views import ViewsMenuScreen, mark_trial, open_view, views_available
from ragtune.tui.study_reader import duckdb_file

__all__ = ["RagtuneApp", "create_app"]


class RagtuneApp(App[None]):
    """Study picker -> study screen (table, plot, filters, detail) -> choose a trade-off."""

    CSS_PATH = "app.tcss"
    TITLE = "ragtune"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", show=False),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        # Analysis views (ragtune/tui/screens/views.py), from the study screen and from each other.
        Binding("v", "views", "Views", show=False),  # shown by the study screen, early in its footer
        *(Binding(key, f"view('{name}')", label, show=False) for key, name, label in VIEW_KEYS),
        Binding("m", "mark", "Mark", show=False),
    ]

    def __init__(
        self,
        storage: Storage,
        *,
        study_name: str | None = None,
        refresh_interval: float | None = 2.0,
        choice_dir: Path | None = None,
        watch_file: Path | None = None,
    ) -> None:
        super().__init__()
        self.watch_file = watch_file
        self.storage = storage
        self.study_name = study_name
        self.refresh_interval = refresh_interval
        self.choice_dir = choice_dir
        self.last_choice_path: Path | None = None
        self.marked_trial: int | None = None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("views", "view", "mark"):
            return views_available(self)
        return True

    def action_views(self) -> None:
        if not isinstance(self.screen, ViewsMenuScreen):
            self.push_screen(ViewsMenuScreen())

    def action_view(self, name: str) -> None:
        open_view(self, name)

    def action_mark(self) -> None:
        mark_trial(self)

    def on_mount(self) -> None:
        self.sub_title = self.storage.describe()
        if self.study_name is None:
            self.push_screen(StudyPickerScreen())
        else:  # the list is built only if the user goes back to it: the study paints sooner
            self.open_study(self.study_name)

    def open_study(self, study_name: str) -> None:
        """Show one study on top of the study list (Esc goes back to the list)."""
        self.last_choice_path = None
        self.marked_trial = None
        self.push_screen(StudyScreen(study_name))

    def show_study_list(self) -> None:
        """Back from a study to the list of studies."""
        if not isinstance(self.screen, StudyScreen):
            return
        if any(isinstance(s, StudyPickerScreen) for s in self.screen_stack):
            self.pop_screen()
        else:
            self.switch_screen(StudyPickerScreen())
        self.title = "ragtune"

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())


def create_app(
    storage: Storage | str | None,
    study_name: str | None = None,
    *,
    refresh_interval: float | None = 2.0,
    choice_dir: Path | None = None,
    watch_file: Path | None = None,
) -> RagtuneApp:
    """Build the app over ``storage`` (a Storage, a URL or ``"memory"``).

    ``study_name`` opens that study directly (Esc leads to the list); ``refresh_interval`` seconds
    between re-reads while the app is open (``None`` or 0: only on ctrl+r); ``choice_dir`` is where
    the default choice file goes (the current directory when ``None``); ``watch_file`` is a DuckDB
    file whose disappearance shows as a storage error (taken from a ``duckdb:///`` URL by default).
    """
    if watch_file is None and isinstance(storage, str):
        watch_file = duckdb_file(storage)
    return RagtuneApp(
        get_storage(storage),
        study_name=study_name,
        refresh_interval=refresh_interval,
        choice_dir=choice_dir,
        watch_file=watch_file,
    )

"""The first screen when no study is named: every study in the storage; Enter or a click opens one."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from ragtune.storage.base import StudySummary
from ragtune.tui.app_services import AppServices
from ragtune.tui.screens.ui_calls import call_on_ui
from ragtune.tui.study_reader import STUDY_LIST_COLUMNS, check_file, describe_error, study_list_rows
from ragtune.tui.widgets import ErrorBar


class StudyPickerScreen(Screen[None]):
    """Lists studies newest first, read in a worker thread."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", show=True, priority=False),
        Binding("ctrl+r", "reload", "Reload"),
        Binding("question_mark", "app.help", "Help"),
        Binding("q", "app.quit", "Quit"),
    ]

    @property
    def rt_app(self) -> AppServices:
        assert isinstance(self.app, AppServices)
        return self.app

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Studies — Enter (or click a highlighted row) opens one", id="picker-title")
        yield DataTable(id="studies", cursor_type="row", zebra_stripes=True)
        yield Static("", id="picker-empty", markup=False)
        yield ErrorBar(id="error-bar")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#picker-empty", Static).display = False
        self.action_reload()

    def action_reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="studies")
    def _load(self) -> None:
        try:
            check_file(self.rt_app.watch_file)
            studies = self.rt_app.storage.get_all_studies()
        except Exception as e:  # any backend failure becomes the error bar, never a traceback
            call_on_ui(self, self._load_failed, describe_error(e))
            return
        call_on_ui(self, self._show, studies)

    def _load_failed(self, message: str) -> None:
        self.query_one(ErrorBar).show_error(message)

    def _show(self, studies: list[StudySummary]) -> None:
        self.query_one(ErrorBar).clear_error()
        table = self.query_one("#studies", DataTable)
        rows = study_list_rows(studies)
        # Explicit widths: auto-sized columns filled after the first paint can leave a stale header.
        widths = [
            max([len(label)] + [len(r.cells[i]) for r in rows]) for i, label in enumerate(STUDY_LIST_COLUMNS)
        ]
        table.clear(columns=True)
        for label, width in zip(STUDY_LIST_COLUMNS, widths, strict=True):
            table.add_column(label, key=label, width=width)
        for row in rows:
            table.add_row(*row.cells, key=row.name)
        empty = self.query_one("#picker-empty", Static)
        empty.display = not studies
        empty.update(
            f"No studies in {self.rt_app.storage.describe()} yet.\n"
            "Run `ragtune optimize pipeline.py` (or study.optimize in Python) first, "
            "or point --storage at another database."
        )
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.rt_app.open_study(event.row_key.value)

    def action_open(self) -> None:
        table = self.query_one("#studies", DataTable)
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            if key is not None:
                self.rt_app.open_study(key)

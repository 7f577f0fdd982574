"""The table of trials (the Pareto front, or all of them), drawn line by line so 100,000 rows stay fast.

Textual's DataTable measures every cell as rows are added, which takes seconds for 10,000 rows; this
table only keeps the formatted strings and draws the visible lines. Rows are keyed by trial number,
so the cursor stays on its trial across refreshes and sorts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ragtune.tui.table_model import Column, TableRows

_MARK_STYLES = {
    ch: Style.parse(spec)
    for ch, spec in {"◆": "bold magenta", "●": "bold green", "×": "red", "★": "bold yellow"}.items()
}
_PLAIN = Style()


class TrialTable(ScrollView, can_focus=True):
    """A header line plus one line per trial; arrows, PgUp/PgDn, Home/End and the mouse move the cursor."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "trial-table--header",
        "trial-table--cursor",
        "trial-table--odd",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "first_row", "First", show=False),
        Binding("end", "last_row", "Last", show=False),
    ]

    class RowHighlighted(Message):
        """The cursor moved to trial ``number`` (``None``: the table is empty)."""

        def __init__(self, table: TrialTable, number: int | None) -> None:
            super().__init__()
            self.table = table
            self.number = number

        @property
        def control(self) -> TrialTable:
            return self.table

    class HeaderClicked(Message):
        """The header of column ``key`` was clicked."""

        def __init__(self, table: TrialTable, key: str) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> TrialTable:
            return self.table

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._columns: list[Column] = []
        self._widths: list[int] = []
        self._rows: TableRows | None = None
        self.cursor = 0

    # -- contents --------------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self._rows) if self._rows is not None else 0

    @property
    def numbers(self) -> list[int]:
        """Trial numbers in table order."""
        return self._rows.numbers if self._rows is not None else []

    @property
    def column_keys(self) -> list[str]:
        return [c.key for c in self._columns]

    @property
    def selected_number(self) -> int | None:
        """Trial number under the cursor, if any row is shown."""
        return self._rows.number(self.cursor) if self._rows else None

    def column_x(self, key: str) -> int:
        """Offset of the first character of column ``key`` (before horizontal scrolling)."""
        x = 0
        for c, w in zip(self._columns, self._widths, strict=True):
            if c.key == key:
                return x
            x += w + 2
        raise KeyError(key)

    def show(
        self, columns: list[Column], rows: TableRows, *, keep: int | None, rescroll: bool = True
    ) -> None:
        """Replace the contents; put the cursor back on trial ``keep`` when it is still shown.

        ``rescroll``: start from the top (or centre the cursor) as for a new order; without it the
        view only moves as far as needed to keep the cursor visible (a live refresh).
        """
        before = self.selected_number
        self._columns, self._rows = columns, rows
        self._widths = rows.widths(columns)
        self.virtual_size = Size(sum(w + 2 for w in self._widths), len(rows) + 1)
        found = rows.index(keep) if keep is not None else None
        self.cursor = found if found is not None else 0
        self.call_after_refresh(self._scroll_to_show_cursor if rescroll else self._scroll_to_cursor)
        self.refresh()
        if self.selected_number != before:
            self.post_message(self.RowHighlighted(self, self.selected_number))

    def move_to(self, number: int) -> bool:
        """Move the cursor to trial ``number``; False when that trial is not shown."""
        row = self._rows.index(number) if self._rows is not None else None
        if row is None:
            return False
        self._move(row)
        return True

    # -- cursor ----------------------------------------------------------------------------
    def _move(self, row: int) -> None:
        if not self._rows:
            return
        row = max(0, min(row, len(self._rows) - 1))
        if row == self.cursor:
            return
        self.cursor = row
        self._scroll_to_cursor()
        self.refresh()
        self.post_message(self.RowHighlighted(self, self.selected_number))

    def _body_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_to_cursor(self) -> None:
        top, body = int(self.scroll_offset.y), self._body_height()
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, force=True)
        elif self.cursor >= top + body:
            self.scroll_to(y=self.cursor - body + 1, animate=False, force=True)

    def _scroll_to_show_cursor(self) -> None:
        """After new contents: from the top when the cursor is on the first page, else centred on it."""
        body = self._body_height()
        y = 0 if self.cursor < body else self.cursor - body // 2
        self.scroll_to(y=y, animate=False, force=True)

    def action_move(self, delta: int) -> None:
        self._move(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self._move(self.cursor + direction * self._body_height())

    def action_first_row(self) -> None:
        self._move(0)

    def action_last_row(self) -> None:
        self._move(self.row_count - 1)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        scroll_x, scroll_y = self.scroll_offset
        if offset.y == 0:
            x = offset.x + scroll_x
            for c, w in zip(self._columns, self._widths, strict=True):
                if x < w + 2:
                    self.post_message(self.HeaderClicked(self, c.key))
                    return
                x -= w + 2
            return
        row = scroll_y + offset.y - 1
        if row < self.row_count:
            self.focus()
            self._move(row)

    # -- drawing ---------------------------------------------------------------------------
    def _cells(self, texts: Sequence[str], style: Style, *, marks: bool) -> list[Segment]:
        segments: list[Segment] = []
        for i, (text, width) in enumerate(zip(texts, self._widths, strict=True)):
            if i == 0 and marks:
                segments.append(Segment(" ", style))
                segments += [Segment(ch, style + _MARK_STYLES.get(ch, _PLAIN)) for ch in text]
                segments.append(Segment(" " * (width - len(text) + 1), style))
            else:
                segments.append(Segment(f" {text[:width].ljust(width)} ", style))
        return segments

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self.rich_style
        if y == 0:
            style = base + self.get_component_rich_style("trial-table--header", partial=True)
            segments = self._cells([c.label for c in self._columns], style, marks=False)
        else:
            row = scroll_y + y - 1
            if self._rows is None or row >= len(self._rows):
                return Strip.blank(width, base)
            if row == self.cursor:
                style = base + self.get_component_rich_style("trial-table--cursor", partial=True)
            elif row % 2:
                style = base + self.get_component_rich_style("trial-table--odd", partial=True)
            else:
                style = base
            segments = self._cells(self._rows.cells(row), style, marks=True)
        return Strip(segments).crop_extend(scroll_x, scroll_x + width, style)

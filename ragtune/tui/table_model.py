"""The trial table's contents, without Textual: columns, marks and rows formatted as they are drawn."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ragtune.tui.view_model import (
    NUMBER,
    FrontView,
    StudyModel,
    ViewState,
    format_number,
    summarise_params,
)

__all__ = ["Column", "TableRows", "params_width", "row_mark", "table_columns", "table_rows"]


@dataclass(frozen=True, slots=True)
class Column:
    """A table column: its key (for sorting and clicks) and its header label."""

    key: str
    label: str


def table_columns(model: StudyModel, state: ViewState) -> list[Column]:
    """Mark, number, one column per objective (arrow = direction, ▼/▲ = sort), state (all mode), params."""

    def sort_mark(key: str) -> str:
        if key != state.sort_key:
            return ""
        return " ▲" if state.reverse else " ▼"

    cols = [Column("mark", " "), Column(NUMBER, "#" + sort_mark(NUMBER))]
    cols += [Column(o.name, f"{o.name} {o.arrow}{sort_mark(o.name)}") for o in model.objectives]
    if state.show_all:
        cols.append(Column("state", "state"))
    cols.append(Column("params", "params"))
    return cols


def params_width(model: StudyModel, state: ViewState, table_width: int) -> int:
    """Characters left for the params column of a ``table_width`` wide table (at least 12)."""
    used = 2  # vertical scrollbar
    for c in table_columns(model, state):
        if c.key == "params":
            continue
        content = {
            "mark": 2,
            NUMBER: len(str(int(model.numbers.max()))) if len(model.trials) else 1,
            "state": 8,
        }
        used += max(len(c.label), content.get(c.key, 7)) + 2  # cell padding 1 + 1
    return max(12, table_width - used - 2)


def row_mark(model: StudyModel, view: FrontView, row: int) -> str:
    """★ chosen; ◆ knee, ● front, × complete but infeasible or filtered out, blank otherwise."""
    number = int(model.numbers[row])
    if number == view.knee:
        mark = "◆"
    elif view.front[row]:
        mark = "●"
    elif model.complete[row] and not view.passing[row]:
        mark = "×"
    else:
        mark = " "
    return ("★" if number == model.chosen else " ") + mark


class TableRows:
    """The shown trials in table order, each formatted on first access.

    A 10,000-row "all trials" table then formats only the lines it draws; :meth:`widths` reads at
    most ``SAMPLE`` rows and gives number columns room for any 4-significant-digit value.
    """

    SAMPLE = 2000
    NUMBER_WIDTH = 10  # len("-0.0001235"), the longest format_number() result

    def __init__(
        self, model: StudyModel, view: FrontView, state: ViewState, *, params_width: int = 60
    ) -> None:
        self._model, self._view, self._state, self._params_width = model, view, state, params_width
        self._order: list[int] = view.order.tolist()
        self._numbers: list[int] = model.numbers[view.order].tolist()
        self._index = {n: i for i, n in enumerate(self._numbers)}
        self._cache: dict[int, list[str]] = {}

    def __len__(self) -> int:
        return len(self._order)

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        return ((self._numbers[i], self.cells(i)) for i in range(len(self._order)))

    @property
    def numbers(self) -> list[int]:
        return list(self._numbers)

    def number(self, i: int) -> int:
        return self._numbers[i]

    def index(self, number: int) -> int | None:
        """Position of trial ``number`` in the table, if shown."""
        return self._index.get(number)

    def cells(self, i: int) -> list[str]:
        """Cells of line ``i``, following :func:`table_columns`."""
        cached = self._cache.get(i)
        if cached is not None:
            return cached
        row, model = self._order[i], self._model
        t = model.trials[row]
        cells = [row_mark(model, self._view, row), str(t.number)]
        cells += [format_number(v) for v in model.values[row].tolist()]
        if self._state.show_all:
            cells.append(t.state.name.lower())
        cells.append(summarise_params(t.params, max_len=self._params_width))
        self._cache[i] = cells
        return cells

    def widths(self, columns: Sequence[Column]) -> list[int]:
        """Column widths: label or widest cell (all rows when few; a sample plus safe minimums when many)."""
        widths = [len(c.label) for c in columns]
        sampled = len(self) > self.SAMPLE
        for i in range(min(len(self), self.SAMPLE)):
            for j, cell in enumerate(self.cells(i)):
                widths[j] = max(widths[j], len(cell))
        if sampled:
            objective_keys = set(self._model.objective_names)
            for j, c in enumerate(columns):
                if c.key in objective_keys:
                    widths[j] = max(widths[j], self.NUMBER_WIDTH)
                elif c.key == NUMBER:
                    widths[j] = max(widths[j], len(str(max(self._numbers))))
                elif c.key == "params":
                    widths[j] = max(widths[j], self._params_width)
        return widths


def table_rows(model: StudyModel, view: FrontView, state: ViewState, *, params_width: int = 60) -> TableRows:
    """(trial number, cells) per shown trial, in table order; cells follow :func:`table_columns`."""
    return TableRows(model, view, state, params_width=params_width)

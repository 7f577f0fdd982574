"""A scatter plot of two objectives drawn with braille dots and glyphs; click a point to select it."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from rich.segment import Segment
from textual import events
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from ragtune.tui.scatter_geometry import PlotPoints, ScatterFrame, layout_scatter, nearest_point

_ROLES = ("text", "axis", "dots", "infeasible", "front", "knee", "selected")


class ScatterPlot(Widget):
    """Renders :class:`PlotPoints` to fit its size; roles are styled by ``scatter--<role>`` classes."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {f"scatter--{role}" for role in _ROLES}

    class PointClicked(Message):
        """The user clicked near the point of trial ``number``."""

        def __init__(self, number: int) -> None:
            super().__init__()
            self.number = number

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._points: PlotPoints | None = None
        self._clickable = np.zeros(0, dtype=bool)
        self._frame: ScatterFrame | None = None
        self._frame_key: tuple[int, int, int] | None = None

    def show(self, points: PlotPoints, clickable: np.ndarray) -> None:
        """Plot ``points``; a click selects the nearest point whose ``clickable`` entry is true."""
        self._points = points
        self._clickable = np.asarray(clickable, dtype=bool)
        self._frame_key = None
        self.refresh()

    def _layout(self) -> ScatterFrame | None:
        if self._points is None:
            return None
        key = (id(self._points), self.size.width, self.size.height)
        if self._frame is None or key != self._frame_key:
            self._frame = layout_scatter(self._points, width=self.size.width, height=self.size.height)
            self._frame_key = key
        return self._frame

    def render_line(self, y: int) -> Strip:
        frame = self._layout()
        base = self.rich_style
        if frame is None:
            line: list[tuple[str, str]] = [("loading…", "text")] if y == 0 else []
        else:
            line = list(frame.lines[y]) if y < len(frame.lines) else []
        segments = [
            Segment(text, base + self.get_component_rich_style(f"scatter--{role}", partial=True))
            for text, role in line
        ]
        return Strip(segments).adjust_cell_length(self.size.width, base)

    def on_click(self, event: events.Click) -> None:
        frame = self._layout()
        if frame is None or self._points is None:
            return
        index = nearest_point(frame, event.x, event.y, self._clickable)
        if index is not None:
            self.post_message(self.PointClicked(int(self._points.numbers[index])))

"""Scatter-plot geometry for the terminal: data -> cells, braille dots, axes (pure, no Textual).

A plot area of ``width`` x ``height`` character cells; column 0 is the left edge, row 0 the top.
Every cell holds a braille character (2 x 4 dots) for ordinary points, or one glyph for a
marked point. Marks win over dots in this order: selected, knee, front, infeasible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = [
    "GLYPHS",
    "AxisRange",
    "PlotPoints",
    "Role",
    "ScatterFrame",
    "braille_rows",
    "layout_scatter",
    "nearest_point",
    "to_cells",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Role: TypeAlias = Literal["text", "axis", "dots", "infeasible", "front", "knee", "selected"]

#: Point kinds, in increasing priority.
DOTS, INFEASIBLE, FRONT = 0, 1, 2
GLYPHS: dict[Role, str] = {"infeasible": "×", "front": "●", "knee": "◆", "selected": "◉"}
_BRAILLE_BASE = 0x2800
# Bit of the braille dot at (sub-column, sub-row) inside one cell (Unicode braille patterns).
_DOT_BITS = np.array([[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]], dtype=np.int64)
MIN_WIDTH, MIN_HEIGHT = 24, 7


@dataclass(frozen=True, slots=True)
class AxisRange:
    """The data interval an axis shows; ``lo < hi`` always."""

    lo: float
    hi: float

    @classmethod
    def of(cls, values: npt.ArrayLike) -> AxisRange:
        """Smallest to largest finite value; a single value v gets ``[v - d, v + d]``, none gets [0, 1]."""
        v = np.asarray(values, dtype=np.float64)
        v = v[np.isfinite(v)]
        if v.size == 0:
            return cls(0.0, 1.0)
        lo, hi = float(v.min()), float(v.max())
        if hi > lo:
            return cls(lo, hi)
        pad = abs(lo) * 0.05 or 0.5
        return cls(lo - pad, hi + pad)

    @classmethod
    def robust(cls, values: npt.ArrayLike) -> tuple[AxisRange, bool]:
        """Like :meth:`of`, but far outliers (beyond 3 interquartile ranges from the quartiles, with
        at least 5 values) are left out of the range, so one slow trial does not squash every other
        point onto one row; they are drawn on the edge. Returns the range and whether any were."""
        v = np.asarray(values, dtype=np.float64)
        v = v[np.isfinite(v)]
        if v.size < 5:
            return cls.of(v), False
        q1, q3 = np.percentile(v, [25.0, 75.0])
        spread = q3 - q1
        if spread <= 0:
            return cls.of(v), False
        inside = v[(v >= q1 - 3 * spread) & (v <= q3 + 3 * spread)]
        if inside.size == v.size:
            return cls.of(v), False
        return cls.of(inside), True


def to_cells(
    xs: npt.ArrayLike, ys: npt.ArrayLike, *, width: int, height: int, x_range: AxisRange, y_range: AxisRange
) -> tuple[IntArray, IntArray]:
    """Column and row (row 0 = top) of the cell holding each point of a ``width`` x ``height`` grid.

    The axis interval is cut into ``width`` (``height``) equal bins; the upper end falls in the last bin.
    """
    fx = (np.asarray(xs, dtype=np.float64) - x_range.lo) / (x_range.hi - x_range.lo)
    fy = (np.asarray(ys, dtype=np.float64) - y_range.lo) / (y_range.hi - y_range.lo)
    cols = np.clip(np.floor(fx * width), 0, width - 1).astype(np.int64)
    rows = (height - 1) - np.clip(np.floor(fy * height), 0, height - 1).astype(np.int64)
    return cols, rows


def braille_rows(
    xs: npt.ArrayLike, ys: npt.ArrayLike, *, width: int, height: int, x_range: AxisRange, y_range: AxisRange
) -> list[str]:
    """``height`` strings of ``width`` braille characters with one dot per point (blank cells are spaces)."""
    sub_x, sub_y = to_cells(xs, ys, width=2 * width, height=4 * height, x_range=x_range, y_range=y_range)
    grid = np.zeros((height, width), dtype=np.int64)
    np.bitwise_or.at(grid, (sub_y // 4, sub_x // 2), _DOT_BITS[sub_x % 2, sub_y % 4])
    return ["".join(chr(_BRAILLE_BASE + int(b)) if b else " " for b in row) for row in grid]


@dataclass(frozen=True, slots=True)
class PlotPoints:
    """What to plot: finite points with their trial numbers and kinds (DOTS, INFEASIBLE, FRONT)."""

    xs: FloatArray
    ys: FloatArray
    numbers: IntArray
    kinds: IntArray
    x_label: str
    y_label: str
    knee: int | None = None
    selected: int | None = None


@dataclass(frozen=True, slots=True)
class ScatterFrame:
    """A laid-out plot: rows of (text, role) runs, and where the plot area sits inside it."""

    lines: list[list[tuple[str, Role]]]
    left: int
    top: int
    width: int
    height: int
    cols: IntArray
    rows: IntArray


def _tick(value: float) -> str:
    text = f"{value:.4g}" if value == 0 or 1e-3 <= abs(value) < 1e5 else f"{value:.2e}"
    return text.replace("e-0", "e-").replace("e+0", "e")


def _grid(
    points: PlotPoints, width: int, height: int, xr: AxisRange, yr: AxisRange
) -> list[list[tuple[str, Role]]]:
    dots = points.kinds == DOTS
    braille = braille_rows(
        points.xs[dots], points.ys[dots], width=width, height=height, x_range=xr, y_range=yr
    )
    cells: list[list[tuple[str, Role]]] = [[(ch, "dots") for ch in row] for row in braille]
    cols, rows = to_cells(points.xs, points.ys, width=width, height=height, x_range=xr, y_range=yr)
    marks: list[tuple[BoolArray, Role]] = [
        (points.kinds == INFEASIBLE, "infeasible"),
        (points.kinds == FRONT, "front"),
        (points.numbers == (points.knee if points.knee is not None else -1), "knee"),
        (points.numbers == (points.selected if points.selected is not None else -1), "selected"),
    ]
    for mask, role in marks:
        for c, r in zip(cols[mask].tolist(), rows[mask].tolist(), strict=True):
            cells[r][c] = (GLYPHS[role], role)
    return cells


def layout_scatter(points: PlotPoints, *, width: int, height: int) -> ScatterFrame:
    """Lay out a ``width`` x ``height`` plot: y label, y ticks, plot area, x axis, x ticks and label."""
    empty = np.zeros(0, dtype=np.int64)
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        return ScatterFrame([[("enlarge the terminal to see the plot", "text")]], 0, 0, 0, 0, empty, empty)
    (xr, x_out), (yr, y_out) = AxisRange.robust(points.xs), AxisRange.robust(points.ys)
    y_ticks = [_tick(yr.hi), _tick((yr.lo + yr.hi) / 2), _tick(yr.lo)]
    if y_out:  # outliers sit on the edge rows: say so on the ticks
        y_ticks = [
            ("≥" if above_range(points.ys, yr) else "") + y_ticks[0],
            y_ticks[1],
            ("≤" if below_range(points.ys, yr) else "") + y_ticks[2],
        ]
    gutter = max(len(t) for t in y_ticks) + 1
    plot_w, plot_h = width - gutter - 1, height - 3
    if points.xs.size == 0:
        lines: list[list[tuple[str, Role]]] = [[(points.y_label, "text")]]
        lines += [[(" " * gutter + "│", "axis")] for _ in range(plot_h)]
        lines[plot_h // 2 + 1] = [(" " * gutter + "│  no completed trial to plot yet", "axis")]
        lines.append([(" " * gutter + "└" + "─" * plot_w, "axis")])
        lines.append([(" " * (gutter + 1) + points.x_label, "text")])
        return ScatterFrame(lines, gutter + 1, 1, plot_w, plot_h, empty, empty)
    grid = _grid(points, plot_w, plot_h, xr, yr)
    tick_rows = {0: y_ticks[0], plot_h // 2: y_ticks[1], plot_h - 1: y_ticks[2]}
    out: list[list[tuple[str, Role]]] = [[(points.y_label[:width], "text")]]
    for r, row in enumerate(grid):
        label = tick_rows.get(r, "")
        out.append([(label.rjust(gutter - 1) + " " + ("┤" if label else "│"), "axis"), *row])
    out.append([(" " * gutter + "└" + "─" * plot_w, "axis")])
    lo, hi = _tick(xr.lo), _tick(xr.hi)
    if x_out:
        lo = ("≤" if below_range(points.xs, xr) else "") + lo
        hi = ("≥" if above_range(points.xs, xr) else "") + hi
    room = plot_w - len(lo) - len(hi)
    label = points.x_label if len(points.x_label) + 2 <= room else points.x_label[: max(room - 2, 0)]
    left_pad = max(room - len(label), 0) // 2
    bottom = lo + " " * left_pad + label + " " * max(room - len(label) - left_pad, 1) + hi
    out.append([(" " * (gutter + 1) + bottom, "axis")])
    cols, rows = to_cells(points.xs, points.ys, width=plot_w, height=plot_h, x_range=xr, y_range=yr)
    return ScatterFrame([_merge_runs(line) for line in out], gutter + 1, 1, plot_w, plot_h, cols, rows)


def above_range(values: npt.ArrayLike, r: AxisRange) -> bool:
    """Some finite value lies above the range (drawn on its upper edge)."""
    v = np.asarray(values, dtype=np.float64)
    return bool(np.any(v[np.isfinite(v)] > r.hi))


def below_range(values: npt.ArrayLike, r: AxisRange) -> bool:
    """Some finite value lies below the range (drawn on its lower edge)."""
    v = np.asarray(values, dtype=np.float64)
    return bool(np.any(v[np.isfinite(v)] < r.lo))


def _merge_runs(line: list[tuple[str, Role]]) -> list[tuple[str, Role]]:
    """Join neighbouring pieces of the same role (fewer segments to draw)."""
    merged: list[tuple[str, Role]] = []
    for text, role in line:
        if merged and merged[-1][1] == role:
            merged[-1] = (merged[-1][0] + text, role)
        else:
            merged.append((text, role))
    return merged


def nearest_point(frame: ScatterFrame, x: int, y: int, candidates: BoolArray) -> int | None:
    """Index of the candidate point whose cell is nearest to widget offset (x, y), if (x, y) is in the plot.

    Cells are about twice as tall as wide, so a row counts double.
    """
    col, row = x - frame.left, y - frame.top
    if not (0 <= col < frame.width and 0 <= row < frame.height) or not candidates.any():
        return None
    idx = np.flatnonzero(candidates)
    d = (frame.cols[idx] - col) ** 2 + (2 * (frame.rows[idx] - row)) ** 2
    best = int(idx[int(np.argmin(d))])
    return best if math.isfinite(float(d.min())) else None

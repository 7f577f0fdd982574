"""Scatter cell mapping, braille dots, plot layout and the knee point, worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ragtune.tui.knee import knee_index, normalise_front
from ragtune.tui.scatter_geometry import (
    DOTS,
    FRONT,
    INFEASIBLE,
    AxisRange,
    PlotPoints,
    braille_rows,
    layout_scatter,
    nearest_point,
    to_cells,
)


def test_to_cells_bins_and_flips_y() -> None:
    # x in [0, 10] over 10 columns: one unit per column; the upper end falls in the last column.
    # y in [0, 4] over 4 rows: row 0 is the top, so y = 0 lands in row 3.
    cols, rows = to_cells(
        [0, 5, 9.99, 10, 1.5],
        [0, 4, 1.5, 2, 3.99],
        width=10,
        height=4,
        x_range=AxisRange(0, 10),
        y_range=AxisRange(0, 4),
    )
    assert cols.tolist() == [0, 5, 9, 9, 1]
    assert rows.tolist() == [3, 0, 2, 1, 0]


def test_axis_range() -> None:
    assert AxisRange.of([3, 1, np.nan, 2]) == AxisRange(1, 3)
    assert AxisRange.of([2.0, 2.0]) == AxisRange(1.9, 2.1)
    assert AxisRange.of([0.0]) == AxisRange(-0.5, 0.5)
    assert AxisRange.of([]) == AxisRange(0, 1)


def test_braille_dots() -> None:
    unit = {"x_range": AxisRange(0, 1), "y_range": AxisRange(0, 1)}
    # One cell = 2 x 4 dots. (0, 0) is the bottom-left dot (bit 0x40), (1, 1) the top-right (0x08).
    assert braille_rows([0], [0], width=1, height=1, **unit) == ["\u2840"]
    assert braille_rows([1], [1], width=1, height=1, **unit) == ["\u2808"]
    assert braille_rows([0, 1], [0, 1], width=1, height=1, **unit) == ["\u2848"]
    assert braille_rows([0, 1], [1, 0], width=2, height=1, **unit) == ["\u2801\u2880"]
    assert braille_rows([], [], width=3, height=2, **unit) == ["   ", "   "]


def _points(**kw: object) -> PlotPoints:
    base = dict(
        xs=np.array([0.0, 1.0, 2.0, 3.0]),
        ys=np.array([0.0, 3.0, 1.0, 2.0]),
        numbers=np.array([10, 11, 12, 13]),
        kinds=np.array([FRONT, DOTS, INFEASIBLE, FRONT]),
        x_label="x",
        y_label="y",
    )
    base.update(kw)
    return PlotPoints(**base)  # type: ignore[arg-type]


def test_layout_places_marks_by_priority() -> None:
    frame = layout_scatter(_points(knee=13, selected=10), width=30, height=10)
    # y ticks "3", "1.5", "0": a gutter of 4 plus the axis -> the plot starts at column 5 and is
    # 30 - 5 = 25 wide; 10 rows less the y label and the two x-axis rows leave 7.
    assert len(frame.lines) == 10
    assert (frame.left, frame.top, frame.width, frame.height) == (5, 1, 25, 7)
    text = ["".join(t for t, _ in line) for line in frame.lines]
    plot = [row[frame.left :] for row in text[1 : 1 + frame.height]]
    # x in [0, 3] over 25 columns: 0 -> 0, 1 -> 8, 2 -> 16, 3 -> 24.
    # y in [0, 3] over 7 rows: 0 -> row 6, 1 -> floor(7/3) = 2 up = row 4, 2 -> 4 up = row 2, 3 -> row 0.
    assert plot[6][0] == "◉"  # #10 (0, 0): selected beats front
    assert plot[2][24] == "◆"  # #13 (3, 2): knee beats front
    assert plot[4][16] == "×"  # #12 (2, 1): infeasible
    assert plot[0][8] == "\u2801"  # #11 (1, 3): a plain dot, top-left dot of its cell
    assert text[1].startswith("  3 ┤") and text[4].startswith("1.5 ┤") and text[7].startswith("  0 ┤")
    assert text[-1].strip().startswith("0") and text[-1].rstrip().endswith("3")


def test_layout_too_small_and_empty() -> None:
    assert layout_scatter(_points(), width=10, height=10).lines[0][0][0].startswith("enlarge")
    empty = _points(xs=np.zeros(0), ys=np.zeros(0), numbers=np.zeros(0, int), kinds=np.zeros(0, int))
    assert "no completed trial" in "".join(
        t for line in layout_scatter(empty, width=40, height=10).lines for t, _ in line
    )


def test_nearest_point() -> None:
    frame = layout_scatter(_points(), width=30, height=10)
    everything = np.ones(4, dtype=bool)
    assert nearest_point(frame, frame.left + 0, frame.top + 6, everything) == 0
    assert nearest_point(frame, frame.left + 23, frame.top + 2, everything) == 3
    assert nearest_point(frame, frame.left + 23, frame.top + 2, np.array([1, 1, 0, 0], bool)) == 1
    assert nearest_point(frame, 0, 0, everything) is None  # on the axis labels


def test_knee_two_objectives_is_max_distance_to_the_extremes_line() -> None:
    # Normalised: (0,1) (1/6,1/3) (2/3,1/9) (1,0); distances to x + y = 1: 0, 0.354, 0.157, 0.
    losses = [[-0.9, 50], [-0.8, 20], [-0.5, 10], [-0.3, 5]]
    assert knee_index(losses) == 1
    assert normalise_front(losses)[1] == pytest.approx([1 / 6, 1 / 3])


def test_knee_three_objectives_uses_the_extremes_hyperplane() -> None:
    # Extremes (0,.5,1) (1,0,.5) (.5,1,0) span w.f = 1 with w = (2/3, 2/3, 2/3); (.3,.3,.3) lies
    # (1 - 0.6) / |w| = 0.346 below it, the extremes lie on it.
    losses = [[0, 0.5, 1], [1, 0, 0.5], [0.5, 1, 0], [0.3, 0.3, 0.3]]
    assert knee_index(losses) == 3
    assert (1 - 0.6) / math.sqrt(3 * (2 / 3) ** 2) == pytest.approx(0.3464, abs=1e-4)


def test_knee_degenerate_cases() -> None:
    assert knee_index(np.zeros((0, 2))) is None
    assert knee_index([[1.0, 2.0]]) == 0
    assert knee_index([[3.0], [1.0], [2.0]]) == 1
    # Objectives 1 and 2 share their best point: no hyperplane through extremes, fall back to sum = 1.
    assert knee_index([[0, 0, 1], [1, 1, 0]]) == 0


def test_robust_range_leaves_a_far_outlier_on_the_edge() -> None:
    from ragtune.tui.scatter_geometry import AxisRange

    # Quartiles 11.25 and 13.75 (numpy linear): fences at 11.25 - 7.5 and 13.75 + 7.5 = 21.25.
    r, clipped = AxisRange.robust([10, 11, 12, 13, 14, 500])
    assert clipped and (r.lo, r.hi) == (10.0, 14.0)
    r, clipped = AxisRange.robust([10, 11, 12, 13, 14, 21])
    assert not clipped and (r.lo, r.hi) == (10.0, 21.0)
    assert AxisRange.robust([1, 500]) == (
        AxisRange(1.0, 500.0),
        False,
    )  # too few values to call one an outlier

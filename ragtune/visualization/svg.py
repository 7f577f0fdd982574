"""A small SVG writer: shapes, text and axes with nice ticks, enough for ragtune's charts.

Hand-made so the report stays one small offline file and ragtune needs no plotting dependency.
Coordinates are rounded to 0.1 px; repeated styles are CSS classes (see :data:`STYLE`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import numpy.typing as npt

__all__ = ["PALETTE", "STYLE", "Axis", "Canvas", "format_tick", "nice_ticks"]

FloatArray = npt.NDArray[np.float64]

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
"""Colours of objectives, series and bars, in order."""

STYLE = (
    "text{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;fill:#333}"
    ".t{font-size:14px;font-weight:600}.l{font-size:11px}.k{font-size:10px;fill:#666}"
    ".ax{stroke:#888;stroke-width:1;fill:none}.g{stroke:#e5e5e5;stroke-width:1}"
    ".d{fill:#1f77b4;fill-opacity:.55}.f{fill:#d62728;stroke:#7a1010;stroke-width:.8}"
    ".p{fill:none;stroke:#999;stroke-width:1}.x{stroke:#aaa;stroke-width:1.2}"
    ".c{fill:#ffbf00;stroke:#333;stroke-width:1}.b{stroke:#d62728;stroke-width:1.6;fill:none}"
)


def _n(v: float) -> str:
    return f"{v:.1f}"


def format_tick(v: float) -> str:
    """A short label: ``0.25``, ``1200``, ``1.5e-05``."""
    if v == 0:
        return "0"
    if abs(v) >= 1e5 or abs(v) < 1e-3:
        return f"{v:.2g}".replace("e-0", "e-").replace("e+0", "e+")
    return f"{v:.4g}"


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering ``[lo, hi]`` (1, 2 or 5 times a power of ten apart)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = []
    k = 0
    while first + k * step <= hi + step * 1e-9 and k < 100:
        ticks.append(round(first + k * step, 12))
        k += 1
    return ticks


@dataclass(frozen=True, slots=True)
class Axis:
    """Data range ``[lo, hi]`` onto pixels ``[start, end]`` (``end < start`` for an upward y axis).

    ``labels`` makes it categorical: value ``i`` is the ``i``-th label, spaced evenly.
    """

    lo: float
    hi: float
    start: float
    end: float
    labels: tuple[str, ...] = ()

    @classmethod
    def fit(
        cls, values: FloatArray, start: float, end: float, *, labels: Sequence[str] = (), pad: float = 0.04
    ) -> Axis:
        if labels:
            return cls(-0.5, len(labels) - 0.5, start, end, tuple(labels))
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            return cls(0.0, 1.0, start, end)
        lo, hi = float(finite.min()), float(finite.max())
        if hi == lo:
            lo, hi = lo - (abs(lo) * 0.1 or 0.5), hi + (abs(hi) * 0.1 or 0.5)
        span = hi - lo
        return cls(lo - pad * span, hi + pad * span, start, end)

    def map(self, values: FloatArray) -> FloatArray:
        scale = (self.end - self.start) / (self.hi - self.lo)
        return np.asarray(self.start + (np.asarray(values, dtype=np.float64) - self.lo) * scale)

    def at(self, value: float) -> float:
        return float(self.map(np.array([value]))[0])

    def ticks(self, n: int = 5) -> list[tuple[float, str]]:
        if self.labels:
            return [(float(i), label) for i, label in enumerate(self.labels)]
        return [(v, format_tick(v)) for v in nice_ticks(self.lo, self.hi, n) if self.lo <= v <= self.hi]


class Canvas:
    """SVG elements in drawing order; :meth:`render` gives the document."""

    def __init__(self, width: float, height: float) -> None:
        self.width, self.height = width, height
        self._parts: list[str] = []

    def raw(self, element: str) -> None:
        self._parts.append(element)

    def line(self, x1: float, y1: float, x2: float, y2: float, *, cls: str = "ax", extra: str = "") -> None:
        self._parts.append(
            f'<line class="{cls}" x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}"{extra}/>'
        )

    def polyline(self, xs: Iterable[float], ys: Iterable[float], *, cls: str = "", style: str = "") -> None:
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
        attrs = (f' class="{cls}"' if cls else "") + (f' style="{style}"' if style else "")
        self._parts.append(f'<polyline{attrs} fill="none" points="{points}"/>')

    def circles(
        self,
        xs: FloatArray,
        ys: FloatArray,
        *,
        r: float = 2.5,
        cls: str = "d",
        titles: Sequence[str] | None = None,
    ) -> None:
        """Many dots in one group (titles give a hover tooltip per dot)."""
        out = [f'<g class="{cls}">']
        for i, (x, y) in enumerate(zip(xs.tolist(), ys.tolist(), strict=True)):
            if titles is None:
                out.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{r}"/>')
            else:
                out.append(
                    f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{r}"><title>{escape(titles[i])}</title></circle>'
                )
        out.append("</g>")
        self._parts.append("".join(out))

    def rect(self, x: float, y: float, w: float, h: float, *, fill: str, title: str | None = None) -> None:
        tip = f"<title>{escape(title)}</title>" if title else ""
        self._parts.append(
            f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(max(w, 0.0))}" height="{_n(max(h, 0.0))}" fill="{fill}">{tip}</rect>'
        )

    def text(
        self,
        x: float,
        y: float,
        s: str,
        *,
        cls: str = "l",
        anchor: str = "start",
        rotate: float | None = None,
        fill: str | None = None,
    ) -> None:
        rot = f' transform="rotate({_n(rotate)} {_n(x)} {_n(y)})"' if rotate is not None else ""
        colour = f' style="fill:{fill}"' if fill else ""
        self._parts.append(
            f'<text class="{cls}" x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}"{rot}{colour}>{escape(s)}</text>'
        )

    def frame(self, x_axis: Axis, y_axis: Axis, *, x_label: str, y_label: str, grid: bool = True) -> None:
        """Axes lines, ticks, tick labels and axis titles of one plot area."""
        left, right = min(x_axis.start, x_axis.end), max(x_axis.start, x_axis.end)
        top, bottom = min(y_axis.start, y_axis.end), max(y_axis.start, y_axis.end)
        for v, label in y_axis.ticks():
            y = y_axis.at(v)
            if grid:
                self.line(left, y, right, y, cls="g")
            self.text(left - 4, y + 3.5, _clip(label, 14), cls="k", anchor="end")
        x_ticks = x_axis.ticks()
        rotate = bool(x_axis.labels) and sum(len(lb) for _, lb in x_ticks) * 6 > (right - left)
        for v, label in x_ticks:
            x = x_axis.at(v)
            if grid:
                self.line(x, top, x, bottom, cls="g")
            if rotate:
                self.text(x, bottom + 12, _clip(label, 12), cls="k", anchor="end", rotate=-35)
            else:
                self.text(x, bottom + 13, _clip(label, 14), cls="k", anchor="middle")
        self.line(left, bottom, right, bottom)
        self.line(left, top, left, bottom)
        self.text((left + right) / 2, bottom + (40 if rotate else 28), x_label, anchor="middle")
        self.text(left - 44, (top + bottom) / 2, _clip(y_label, 40), anchor="middle", rotate=-90)

    def render(self, *, title: str = "") -> str:
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(self.width)}" height="{_n(self.height)}" '
            f'viewBox="0 0 {_n(self.width)} {_n(self.height)}" role="img" aria-label={quoteattr(title)}>'
        )
        return head + f"<style>{STYLE}</style>" + "".join(self._parts) + "</svg>"


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"

"""The figure object every ``plot_*`` function returns: an SVG document that shows itself in notebooks."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Figure"]


@dataclass(frozen=True, slots=True)
class Figure:
    """One chart as a standalone SVG document.

    Jupyter shows it through ``_repr_svg_``; ``save("history.svg")`` writes it to a file and
    ``to_svg()`` returns the text (for embedding in HTML or Markdown).
    """

    title: str
    svg: str
    width: float
    height: float

    def to_svg(self) -> str:
        return self.svg

    def _repr_svg_(self) -> str:
        return self.svg

    def _repr_html_(self) -> str:
        return f'<div class="ragtune-figure">{self.svg}</div>'

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the SVG to ``path`` and return it."""
        out = Path(path)
        out.write_text(self.svg, encoding="utf-8")
        return out

    def __repr__(self) -> str:
        return f"Figure(title={self.title!r}, {self.width:g}x{self.height:g}, {len(self.svg)} bytes of SVG)"

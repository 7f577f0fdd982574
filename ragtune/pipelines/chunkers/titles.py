"""Document titles in chunks: prepended to every chunk (the BEIR convention), to the first only, or not.

A titled chunk's text is ``prefix + document.text[start:end]``: the offsets still point into the
document's text, and the prefix is the title followed by ``". "`` (or a space when the title already ends
in sentence punctuation). Documents without a title get no prefix.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["DEFAULT_TITLE", "TitleMode", "title_prefix"]

TitleMode = Literal["each", "first", "none"]

DEFAULT_TITLE: TitleMode = "each"
"""Chosen by measurement on SciFact (docs/benchmarks.md, "Titles in chunks")."""

_ENDS_SENTENCE = (".", "!", "?", ":", ";")


def title_prefix(title: str, mode: TitleMode, position: int) -> str:
    """What the ``position``-th (0-based) chunk of a document titled ``title`` starts with."""
    title = " ".join(title.split())
    if not title or mode == "none" or (mode == "first" and position > 0):
        return ""
    return f"{title} " if title.endswith(_ENDS_SENTENCE) else f"{title}. "

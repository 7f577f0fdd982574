"""Splitting text into units that fit a size (paragraph -> sentence -> word -> characters) and packing
consecutive units into chunks with overlap; shared by the sentence and recursive chunkers."""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum

from ragtune.pipelines.spans import Span, paragraph_spans, sentence_spans, word_spans

__all__ = ["Level", "pack", "split_to_fit"]


class Level(IntEnum):
    """Where :func:`split_to_fit` starts cutting; each level falls back to the next for pieces too long."""

    PARAGRAPH = 0
    SENTENCE = 1
    WORD = 2
    CHAR = 3


def split_to_fit(text: str, span: Span, size: int, level: Level = Level.PARAGRAPH) -> list[Span]:
    """The largest paragraph / sentence / word pieces of ``span`` that are at most ``size`` characters.

    A piece longer than ``size`` is split at the next finer level; a word longer than ``size`` is cut
    every ``size`` characters.
    """
    start, end = span
    if end - start <= size:
        return [span]
    if level == Level.CHAR:
        return [(i, min(i + size, end)) for i in range(start, end, size)]
    split = {Level.PARAGRAPH: paragraph_spans, Level.SENTENCE: sentence_spans, Level.WORD: word_spans}[level]
    out: list[Span] = []
    for piece in split(text, start, end):
        out.extend(split_to_fit(text, piece, size, Level(level + 1)))
    return out


def pack(units: Sequence[Span], size: int, *, overlap_chars: int = 0, overlap_units: int = 0) -> list[Span]:
    """Greedily join consecutive ``units`` into spans of at most ``size`` characters.

    Each chunk after the first starts with trailing units of the previous chunk: as many as fit in
    ``overlap_chars`` characters (measured from a unit's start to the previous chunk's end) and at most
    ``overlap_units`` of them when that is given; overlap is dropped from the front where it would push
    the chunk's first new unit past ``size``. Every chunk holds at least one unit the previous did not.
    """
    out: list[Span] = []
    i, n = 0, len(units)
    while i < n:
        j = i
        while j + 1 < n and units[j + 1][1] - units[i][0] <= size:
            j += 1
        out.append((units[i][0], units[j][1]))
        if j + 1 >= n:
            break
        nxt = j + 1
        while (
            nxt - 1 > i
            and (overlap_units == 0 or j + 1 - (nxt - 1) <= overlap_units)
            and (overlap_chars == 0 or units[j][1] - units[nxt - 1][0] <= overlap_chars)
            and (overlap_units > 0 or overlap_chars > 0)
            and units[j + 1][1] - units[nxt - 1][0] <= size
        ):
            nxt -= 1
        i = nxt
    return out

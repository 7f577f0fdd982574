"""Character spans of paragraphs, sentences and words in a text (used by chunkers and the reader).

Every function returns ``(start, end)`` offsets into the original text, trimmed of surrounding
whitespace, in order. Sentences end at ``.``, ``!``, ``?`` or ``…`` (plus closing quotes/brackets) followed
by whitespace, except after common abbreviations ("e.g.", "Dr.") and single-letter initials; a blank
line always ends a sentence.
"""

from __future__ import annotations

import re

__all__ = ["Span", "paragraph_spans", "sentence_spans", "trim", "word_spans"]

Span = tuple[int, int]

_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s|$)")
_WORD = re.compile(r"\S+")
_ABBREVIATIONS = frozenset(
    (
        "e.g", "i.e", "etc", "vs", "cf", "fig", "figs", "eq", "eqs", "no", "nos", "mr", "mrs", "ms", "dr",
        "prof", "st", "jr", "sr", "inc", "ltd", "co", "approx", "al", "resp",
    )
)  # fmt: skip


def trim(text: str, start: int, end: int) -> Span | None:
    """``(start, end)`` shrunk past whitespace at both ends; None when only whitespace remains."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def paragraph_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Paragraphs of ``text[start:end]``, separated by blank lines."""
    end = len(text) if end is None else end
    out: list[Span] = []
    cursor = start
    for match in _BLANK_LINE.finditer(text, start, end):
        span = trim(text, cursor, match.start())
        if span:
            out.append(span)
        cursor = match.end()
    span = trim(text, cursor, end)
    if span:
        out.append(span)
    return out


def _is_abbreviation(text: str, para_start: int, dot: int) -> bool:
    """Whether the ``.`` at ``dot`` closes an abbreviation or an initial rather than a sentence."""
    word_start = dot
    while (
        word_start > para_start and not text[word_start - 1].isspace() and text[word_start - 1] not in "(\"'"
    ):
        word_start -= 1
    word = text[word_start:dot].casefold()
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentences of ``text[start:end]``, never crossing a paragraph break."""
    out: list[Span] = []
    for p_start, p_end in paragraph_spans(text, start, end):
        cursor = p_start
        for match in _SENTENCE_END.finditer(text, p_start, p_end):
            lone_dot = text[match.start()] == "." and match.end() - match.start() == 1
            if lone_dot and _is_abbreviation(text, p_start, match.start()):
                continue
            span = trim(text, cursor, match.end())
            if span:
                out.append(span)
            cursor = match.end()
        span = trim(text, cursor, p_end)
        if span:
            out.append(span)
    return out


def word_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Whitespace-separated words of ``text[start:end]``."""
    end = len(text) if end is None else end
    return [m.span() for m in _WORD.finditer(text, start, end)]

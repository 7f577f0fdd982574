"""Fixed-size windows with overlap, counted in characters or in whitespace-separated tokens."""

from __future__ import annotations

from typing import ClassVar, Literal, Self

from pydantic import Field, model_validator

from ragtune.datasets.types import Document
from ragtune.pipelines.chunkers.base import chunks_from_spans
from ragtune.pipelines.chunkers.titles import DEFAULT_TITLE, TitleMode
from ragtune.pipelines.records import Chunk
from ragtune.pipelines.spans import Span, word_spans
from ragtune.pipelines.stage import ParamStage, StageParams

__all__ = ["Window", "WindowParams", "window_starts"]


class WindowParams(StageParams):
    size: int = Field(gt=0)
    """Window length, in ``unit``s."""
    overlap: int = Field(default=0, ge=0)
    """How many ``unit``s consecutive windows share; must be < size."""
    unit: Literal["chars", "tokens"] = "chars"
    """``chars`` counts characters; ``tokens`` counts whitespace-separated tokens."""

    title: TitleMode = DEFAULT_TITLE
    """Which chunks start with the document's title: ``each``, ``first`` or ``none`` (:mod:`.titles`)."""

    @model_validator(mode="after")
    def _overlap_below_size(self) -> Self:
        if self.overlap >= self.size:
            raise ValueError(f"overlap must be < size, but got overlap={self.overlap}, size={self.size}")
        return self


def window_starts(length: int, size: int, overlap: int) -> list[int]:
    """Start positions of windows over ``length`` units: every ``size - overlap``, until one reaches the end."""
    if length <= 0:
        return []
    starts = [0]
    step = size - overlap
    while starts[-1] + size < length:
        starts.append(starts[-1] + step)
    return starts


class Window(ParamStage[WindowParams]):
    """Windows of ``size`` units starting every ``size - overlap`` units; the last one ends at the text's end.

    With ``unit="chars"`` a chunk is exactly ``text[start:start + size]``. With ``unit="tokens"`` it runs
    from its first token's start to its last token's end, so offsets stay character offsets.
    Windows holding only whitespace are skipped.
    """

    kind: ClassVar[str] = "window"
    version: ClassVar[str] = "1"
    Params: ClassVar[type[StageParams]] = WindowParams

    def __init__(
        self,
        size: int,
        overlap: int = 0,
        *,
        unit: Literal["chars", "tokens"] = "chars",
        title: TitleMode = DEFAULT_TITLE,
    ) -> None:
        super().__init__(size=size, overlap=overlap, unit=unit, title=title)

    def chunk(self, document: Document) -> list[Chunk]:
        p = self.params
        text = document.text
        spans: list[Span]
        if p.unit == "chars":
            spans = [(s, min(s + p.size, len(text))) for s in window_starts(len(text), p.size, p.overlap)]
        else:
            words = word_spans(text)
            spans = [
                (words[s][0], words[min(s + p.size, len(words)) - 1][1])
                for s in window_starts(len(words), p.size, p.overlap)
            ]
        return chunks_from_spans(document, spans, title=p.title)

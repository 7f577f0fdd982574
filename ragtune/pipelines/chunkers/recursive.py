"""Recursive splitting: the largest paragraph, sentence or word pieces that fit, packed with overlap."""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import Field, model_validator

from ragtune.datasets.types import Document
from ragtune.pipelines.chunkers.base import chunks_from_spans
from ragtune.pipelines.chunkers.packing import pack, split_to_fit
from ragtune.pipelines.chunkers.titles import DEFAULT_TITLE, TitleMode
from ragtune.pipelines.records import Chunk
from ragtune.pipelines.spans import trim
from ragtune.pipelines.stage import ParamStage, StageParams

__all__ = ["Recursive", "RecursiveParams"]


class RecursiveParams(StageParams):
    size: int = Field(gt=0)
    """Longest chunk, in characters."""
    overlap: int = Field(default=0, ge=0)
    """Most characters a chunk repeats from the previous one (whole pieces only); must be < size."""
    title: TitleMode = DEFAULT_TITLE
    """Which chunks start with the document's title: ``each``, ``first`` or ``none`` (:mod:`.titles`)."""

    @model_validator(mode="after")
    def _overlap_below_size(self) -> Self:
        if self.overlap >= self.size:
            raise ValueError(f"overlap must be < size, but got overlap={self.overlap}, size={self.size}")
        return self


class Recursive(ParamStage[RecursiveParams]):
    """Split paragraph -> sentence -> word (-> characters) until every piece fits ``size``, then pack.

    Paragraphs that fit stay whole; longer ones are split into sentences, longer sentences into words.
    Consecutive pieces are then packed greedily into chunks of at most ``size`` characters; each chunk
    after the first starts with the previous chunk's trailing pieces that fit in ``overlap`` characters.
    """

    kind: ClassVar[str] = "recursive"
    version: ClassVar[str] = "1"
    Params: ClassVar[type[StageParams]] = RecursiveParams

    def __init__(self, size: int, overlap: int = 0, *, title: TitleMode = DEFAULT_TITLE) -> None:
        super().__init__(size=size, overlap=overlap, title=title)

    def chunk(self, document: Document) -> list[Chunk]:
        p = self.params
        whole = trim(document.text, 0, len(document.text))
        if whole is None:
            return []
        units = split_to_fit(document.text, whole, p.size)
        return chunks_from_spans(document, pack(units, p.size, overlap_chars=p.overlap), title=p.title)

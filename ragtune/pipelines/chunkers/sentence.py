"""Chunks made of whole sentences, up to a character budget, overlapping by whole sentences."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from ragtune.datasets.types import Document
from ragtune.pipelines.chunkers.base import chunks_from_spans
from ragtune.pipelines.chunkers.packing import Level, pack, split_to_fit
from ragtune.pipelines.chunkers.titles import DEFAULT_TITLE, TitleMode
from ragtune.pipelines.records import Chunk
from ragtune.pipelines.spans import sentence_spans
from ragtune.pipelines.stage import ParamStage, StageParams

__all__ = ["Sentence", "SentenceParams"]


class SentenceParams(StageParams):
    max_chars: int = Field(gt=0)
    """Longest chunk, in characters (from its first sentence's start to its last sentence's end)."""
    overlap_sentences: int = Field(default=0, ge=0)
    """How many trailing sentences of a chunk the next one repeats."""
    title: TitleMode = DEFAULT_TITLE
    """Which chunks start with the document's title: ``each``, ``first`` or ``none`` (:mod:`.titles`)."""


class Sentence(ParamStage[SentenceParams]):
    """Packs consecutive sentences into chunks of at most ``max_chars`` characters.

    Sentences come from :func:`ragtune.pipelines.spans.sentence_spans` (never across a blank line); a
    sentence longer than ``max_chars`` is cut at word boundaries (at characters for an overlong word).
    Each chunk after the first repeats up to ``overlap_sentences`` sentences of the previous one, fewer
    when they would not leave room for a new sentence.
    """

    kind: ClassVar[str] = "sentence"
    version: ClassVar[str] = "1"
    Params: ClassVar[type[StageParams]] = SentenceParams

    def __init__(
        self, max_chars: int, overlap_sentences: int = 0, *, title: TitleMode = DEFAULT_TITLE
    ) -> None:
        super().__init__(max_chars=max_chars, overlap_sentences=overlap_sentences, title=title)

    def chunk(self, document: Document) -> list[Chunk]:
        p = self.params
        text = document.text
        units = [
            piece
            for span in sentence_spans(text)
            for piece in split_to_fit(text, span, p.max_chars, Level.WORD)
        ]
        spans = pack(units, p.max_chars, overlap_units=p.overlap_sentences)
        return chunks_from_spans(document, spans, title=p.title)

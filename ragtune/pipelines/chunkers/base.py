"""The chunker protocol: one document in, its chunks (with character offsets) out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from ragtune.datasets.types import Document
from ragtune.pipelines.chunkers.titles import TitleMode, title_prefix
from ragtune.pipelines.records import Chunk
from ragtune.pipelines.spans import Span
from ragtune.pipelines.stage import Stage

__all__ = ["Chunker", "chunks_from_spans"]


@runtime_checkable
class Chunker(Stage, Protocol):
    """Splits a document into chunks; ``chunk.text`` should end with ``document.text[chunk.start:chunk.end]``.

    What comes before that slice, if anything, is the document's title (see :mod:`.titles`).
    """

    def chunk(self, document: Document) -> Sequence[Chunk]: ...


def chunks_from_spans(document: Document, spans: Sequence[Span], *, title: TitleMode = "none") -> list[Chunk]:
    """Chunks for ``spans`` of ``document.text``, skipping spans that hold only whitespace.

    ``title`` says which chunks start with the document's title (:func:`.titles.title_prefix`).
    """
    text = document.text
    kept = [(s, e) for s, e in spans if s < e and not text[s:e].isspace()]
    return [
        Chunk(document.id, s, e, title_prefix(document.title, title, i) + text[s:e])
        for i, (s, e) in enumerate(kept)
    ]

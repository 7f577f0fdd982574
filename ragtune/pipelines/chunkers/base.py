"""The chunker protocol: one document in, its chunks (with character offsets) out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from ragtune.datasets.types import Document
from ragtune.pipelines.records import Chunk
from ragtune.pipelines.spans import Span
from ragtune.pipelines.stage import Stage

__all__ = ["Chunker", "chunks_from_spans"]


@runtime_checkable
class Chunker(Stage, Protocol):
    """Splits a document into chunks; ``chunk.text`` should be ``document.text[chunk.start:chunk.end]``."""

    def chunk(self, document: Document) -> Sequence[Chunk]: ...


def chunks_from_spans(document: Document, spans: Sequence[Span]) -> list[Chunk]:
    """Chunks for ``spans`` of ``document.text``, skipping spans that hold only whitespace."""
    text = document.text
    return [Chunk(document.id, s, e, text[s:e]) for s, e in spans if s < e and not text[s:e].isspace()]

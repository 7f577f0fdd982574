"""The reader protocol: a question and its retrieved context in, an answer (and token counts) out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from ragtune.pipelines.records import ReaderOutput
from ragtune.pipelines.stage import Stage

__all__ = ["Reader"]


@runtime_checkable
class Reader(Stage, Protocol):
    """Answers ``question`` from ``context`` (chunk texts, best first); LLM readers fill ``tokens``."""

    def read(self, question: str, context: Sequence[str]) -> ReaderOutput: ...

"""Chunkers: fixed windows, sentence packing and recursive paragraph/sentence/word splitting; each one
prepends the document title to every chunk, to the first, or to none (``title=``)."""

from __future__ import annotations

from ragtune.pipelines.chunkers.base import Chunker
from ragtune.pipelines.chunkers.recursive import Recursive
from ragtune.pipelines.chunkers.sentence import Sentence
from ragtune.pipelines.chunkers.titles import TitleMode
from ragtune.pipelines.chunkers.window import Window

__all__ = ["Chunker", "Recursive", "Sentence", "TitleMode", "Window"]

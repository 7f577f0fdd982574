"""Evaluation sets: a corpus, questions and relevance judgments, from files or built in (``python-docs``)."""

from __future__ import annotations

from ragtune.datasets.loaders import from_beir, from_csv, from_files, from_jsonl, load
from ragtune.datasets.types import Document, EvalSet, Judgment, Question

__all__ = [
    "Document",
    "EvalSet",
    "Judgment",
    "Question",
    "from_beir",
    "from_csv",
    "from_files",
    "from_jsonl",
    "load",
]

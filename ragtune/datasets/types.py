"""The records an evaluation set is made of: documents, questions, relevance judgments."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Document:
    """One corpus entry; ``id`` is unique within its corpus."""

    id: str
    text: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class Question:
    """One evaluation question; ``answers`` are acceptable short answer strings (may be empty)."""

    id: str
    text: str
    answers: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Judgment:
    """Graded relevance of one document to one question (grade > 0 means relevant)."""

    question_id: str
    doc_id: str
    grade: int = 1


@dataclass(frozen=True, slots=True)
class EvalSet:
    """A corpus, its questions and their relevance judgments."""

    name: str
    corpus: tuple[Document, ...]
    questions: tuple[Question, ...]
    judgments: tuple[Judgment, ...]
    qrels: Mapping[str, Mapping[str, int]] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not self.qrels:
            table: dict[str, dict[str, int]] = {}
            for j in self.judgments:
                table.setdefault(j.question_id, {})[j.doc_id] = j.grade
            object.__setattr__(self, "qrels", table)

"""The records an evaluation set is made of: documents, questions, relevance judgments."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ragtune.exceptions import DatasetError


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

    def __repr__(self) -> str:
        # The generated repr would print the whole corpus.
        return (
            f"EvalSet(name={self.name!r}, documents={len(self.corpus)}, "
            f"questions={len(self.questions)}, judgments={len(self.judgments)})"
        )

    @property
    def corpus_fingerprint(self) -> str:
        """SHA-256 (hex) of the documents' ids, titles and texts in corpus order; the cache's root key."""
        digest = hashlib.sha256(b"ragtune-corpus-v1")
        for doc in self.corpus:
            digest.update(_framed(doc.id, doc.title, doc.text))
        return digest.hexdigest()

    @property
    def fingerprint(self) -> str:
        """SHA-256 (hex) of the corpus, the questions and the judgments (the name is left out)."""
        digest = hashlib.sha256(b"ragtune-evalset-v1")
        digest.update(_framed(self.corpus_fingerprint))
        for q in self.questions:
            digest.update(_framed(q.id, q.text, *q.answers, "\x00tags", *q.tags, "\x00end"))
        for j in self.judgments:
            digest.update(_framed(j.question_id, j.doc_id, str(j.grade)))
        return digest.hexdigest()

    def subset(self, question_ids: Iterable[str], *, name: str | None = None) -> EvalSet:
        """The same corpus with only the given questions (in the given order) and their judgments.

        Raises:
            DatasetError: an id is not a question of this set, or is given twice.
        """
        by_id = {q.id: q for q in self.questions}
        wanted: list[str] = []
        keep: set[str] = set()
        for qid in question_ids:
            if qid not in by_id:
                raise DatasetError(
                    f"question id {qid!r} is not in eval set {self.name!r}; pass ids of its questions"
                )
            if qid in keep:
                raise DatasetError(f"question id {qid!r} is listed twice; pass each id once")
            wanted.append(qid)
            keep.add(qid)
        return EvalSet(
            name=self.name if name is None else name,
            corpus=self.corpus,
            questions=tuple(by_id[qid] for qid in wanted),
            judgments=tuple(j for j in self.judgments if j.question_id in keep),
        )


def _framed(*parts: str) -> bytes:
    # Length prefixes keep ("ab", "c") and ("a", "bc") apart.
    out = bytearray()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        out += len(data).to_bytes(8, "little")
        out += data
    return bytes(out)

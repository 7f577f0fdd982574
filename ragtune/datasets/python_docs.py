"""The built-in ``python-docs`` eval set: CPython's own language reference plus questions written for it."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Set
from contextlib import AbstractContextManager
from importlib import resources
from pathlib import Path

from ragtune.datasets.records import document_from, judgment_from, question_from
from ragtune.datasets.rows import Row, fail, read_jsonl
from ragtune.datasets.types import Document, EvalSet, Judgment, Question

__all__ = ["NAME", "UNSAFE_PREFIX", "load_python_docs", "topic_documents"]

NAME = "python-docs"
UNSAFE_PREFIX = "unsafe-"
"""Ids of the planted unsafe documents start with this (prompt injection, fake PII, blocked terms)."""


def topic_documents() -> tuple[Document, ...]:
    """One Document per ``pydoc_data.topics`` entry of the running interpreter (id = title = topic key)."""
    from pydoc_data.topics import topics  # ships with CPython; imported here so `import ragtune` stays cheap

    return tuple(Document(id=key, title=key, text=text) for key, text in topics.items())


@functools.cache
def load_python_docs() -> EvalSet:
    """Build the ``python-docs`` set; cached, so every call in a process returns the same object.

    Corpus: the Python language reference topics plus the planted ``unsafe-*`` documents, sorted by
    id. Questions and their graded judgments (2 = main topic, 1 = also relevant) come from
    ``data/python_docs/questions.jsonl``. A judgment naming a topic that this interpreter's
    ``pydoc_data`` lacks is dropped, and so is an answerable question left with no judgment.
    """
    with _data_file("unsafe_docs.jsonl") as path:
        unsafe = [document_from(row) for row in read_jsonl(path)]
    corpus = {doc.id: doc for doc in (*topic_documents(), *unsafe)}
    with _data_file("questions.jsonl") as path:
        questions, judgments = _questions(read_jsonl(path), corpus.keys())
    return EvalSet(
        name=NAME,
        corpus=tuple(corpus[key] for key in sorted(corpus)),
        questions=tuple(questions),
        judgments=tuple(judgments),
    )


def _questions(rows: Iterator[Row], doc_ids: Set[str]) -> tuple[list[Question], list[Judgment]]:
    questions: list[Question] = []
    judgments: list[Judgment] = []
    for row in rows:
        question = question_from(row)
        relevant = row.values.get("relevant", {})
        if not isinstance(relevant, dict):
            raise fail(row.where, "field 'relevant' must map doc ids to grades", "fix the data file")
        found = [
            judgment_from(
                Row(row.path, row.line, {"question_id": question.id, "doc_id": doc, "grade": grade})
            )
            for doc, grade in relevant.items()
        ]
        kept = [j for j in found if j.doc_id in doc_ids]
        if found and not kept:
            continue  # every relevant topic is missing from this interpreter's pydoc_data
        questions.append(question)
        judgments.extend(kept)
    return questions, judgments


def _data_file(name: str) -> AbstractContextManager[Path]:
    # as_file gives a real path even when the package is imported from a zip archive.
    return resources.as_file(resources.files("ragtune.datasets").joinpath("data", "python_docs", name))

"""Turning rows into documents, questions and judgments, and checking that they fit together."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from ragtune.datasets.rows import Row, fail
from ragtune.datasets.types import Document, EvalSet, Judgment, Question
from ragtune.exceptions import DatasetError

__all__ = [
    "CORPUS_COLUMNS",
    "QRELS_COLUMNS",
    "QUESTION_COLUMNS",
    "assemble",
    "document_from",
    "judgment_from",
    "question_from",
]

_ID_KEYS = ("id", "_id")
_QUESTION_KEYS = ("question_id", "query_id", "query-id", "qid")
_DOC_KEYS = ("doc_id", "corpus_id", "corpus-id", "docid")
_GRADE_KEYS = ("grade", "score", "relevance")
CORPUS_COLUMNS = (_ID_KEYS, ("text",))
QUESTION_COLUMNS = (_ID_KEYS, ("text",))
QRELS_COLUMNS = (_QUESTION_KEYS, _DOC_KEYS)
"""Columns a CSV file must have, each as its accepted spellings."""
_Record = TypeVar("_Record", Document, Question)
_INTEGER = re.compile(r"[+-]?\d{1,18}")


def document_from(row: Row) -> Document:
    """A corpus row ``{"id"|"_id", "title"?, "text"}`` as a Document."""
    return Document(
        id=_identifier(row, _ID_KEYS, "the document's id"),
        text=_string(row, "text", required=True, allow_empty=True),
        title=_string(row, "title", required=False, allow_empty=True),
    )


def question_from(row: Row) -> Question:
    """A questions row ``{"id"|"_id", "text", "answers"?, "tags"?}`` as a Question."""
    return Question(
        id=_identifier(row, _ID_KEYS, "the question's id"),
        text=_string(row, "text", required=True, allow_empty=False),
        answers=_strings(row, "answers"),
        tags=_strings(row, "tags"),
    )


def judgment_from(row: Row) -> Judgment:
    """A qrels row ``{"question_id", "doc_id", "grade"?}`` as a Judgment (grade defaults to 1)."""
    return Judgment(
        question_id=_identifier(row, _QUESTION_KEYS, "the question's id"),
        doc_id=_identifier(row, _DOC_KEYS, "the judged document's id"),
        grade=_grade(row),
    )


def _pick(row: Row, keys: Sequence[str]) -> tuple[str, Any] | None:
    for key in keys:
        if key in row.values and row.values[key] is not None:
            return key, row.values[key]
    return None


def _identifier(row: Row, keys: Sequence[str], what: str) -> str:
    found = _pick(row, keys)
    if found is None:
        names = " or ".join(repr(k) for k in keys[:2])
        raise fail(row.where, f"missing field {names}", f"add {what}")
    key, value = found
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise fail(row.where, f"field {key!r} must be a string or integer, got {value!r:.60}", "fix the id")
    text = str(value)
    if not text.strip():
        raise fail(row.where, f"field {key!r} is empty", f"write {what}")
    _check_unicode(row, key, text)
    return text


def _string(row: Row, key: str, *, required: bool, allow_empty: bool) -> str:
    value = row.values.get(key)
    if value is None:
        if required:
            raise fail(row.where, f"missing field {key!r}", f"add the {key} as a string")
        return ""
    if not isinstance(value, str):
        raise fail(
            row.where, f"field {key!r} must be a string, got {type(value).__name__}", "quote the value"
        )
    if not allow_empty and not value.strip():
        raise fail(row.where, f"field {key!r} is empty", f"write the {key}")
    _check_unicode(row, key, value)
    return value


def _strings(row: Row, key: str) -> tuple[str, ...]:
    value = row.values.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        # CSV cells: a JSON list when it starts with "[", else a single string (empty means none).
        if not value.strip():
            return ()
        if not value.lstrip().startswith("["):
            _check_unicode(row, key, value)
            return (value,)
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            raise fail(
                row.where, f"field {key!r} starts with '[' but is not a JSON list", "fix the list"
            ) from None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise fail(row.where, f"field {key!r} must be a list of strings, got {value!r:.60}", "fix the list")
    for item in value:
        _check_unicode(row, key, item)
    return tuple(value)


def _grade(row: Row) -> int:
    found = _pick(row, _GRADE_KEYS)
    if found is None:
        return 1
    key, value = found
    grade: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        grade = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        grade = int(value)
    elif isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        grade = int(value.strip())
    if grade is None:
        raise fail(
            row.where,
            f"{key} must be an integer (e.g. 0, 1, 2), got {value!r:.60}",
            "write the relevance grade as a whole number",
        )
    return grade


def _check_unicode(row: Row, key: str, value: str) -> None:
    # JSON escapes can smuggle lone surrogates into a str; they break every later encode().
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise fail(
            row.where, f"field {key!r} holds an unpaired surrogate ({value[e.start]!r})", "fix the \\u escape"
        ) from None


def assemble(
    name: str,
    corpus: Iterable[Row],
    questions: Iterable[Row],
    judgments: Iterable[Row] | None,
    *,
    corpus_path: Path,
    questions_path: Path,
    keep_unjudged: bool = True,
) -> EvalSet:
    """Convert rows to records and check the set: ids unique, judgments resolve, nothing empty."""
    docs = _unique([(row, document_from(row)) for row in corpus], "document")
    if not docs:
        raise DatasetError(f"{corpus_path.name}: no documents found; add at least one corpus row")
    asked = _unique([(row, question_from(row)) for row in questions], "question")
    if not asked:
        raise DatasetError(f"{questions_path.name}: no questions found; add at least one question row")
    judged = _resolve(judgments or (), docs.keys(), asked.keys(), corpus_path, questions_path)
    with_judgments = {j.question_id for j in judged}
    kept = [q for q in asked.values() if keep_unjudged or q.id in with_judgments]
    if not kept:
        raise DatasetError(
            f"{questions_path.name}: none of the {len(asked)} questions has a judgment; "
            "check that the qrels use the same question ids (or pass keep_unjudged=True)"
        )
    return EvalSet(name=name, corpus=tuple(docs.values()), questions=tuple(kept), judgments=tuple(judged))


def _unique(pairs: list[tuple[Row, _Record]], what: str) -> dict[str, _Record]:
    out: dict[str, _Record] = {}
    lines: dict[str, int] = {}
    for row, record in pairs:
        if record.id in out:
            raise fail(
                row.where,
                f"duplicate {what} id {record.id!r} (first on line {lines[record.id]})",
                f"give every {what} its own id",
            )
        out[record.id] = record
        lines[record.id] = row.line
    return out


def _resolve(
    rows: Iterable[Row],
    doc_ids: Iterable[str],
    question_ids: Iterable[str],
    corpus_path: Path,
    questions_path: Path,
) -> list[Judgment]:
    docs, questions = set(doc_ids), set(question_ids)
    seen: dict[tuple[str, str], tuple[int, int]] = {}
    out: list[Judgment] = []
    for row in rows:
        j = judgment_from(row)
        if j.question_id not in questions:
            raise fail(
                row.where,
                f"question id {j.question_id!r} is not in {questions_path.name}",
                "fix the id or add the question",
            )
        if j.doc_id not in docs:
            raise fail(
                row.where,
                f"doc id {j.doc_id!r} is not in {corpus_path.name}",
                "fix the id or add the document",
            )
        key = (j.question_id, j.doc_id)
        if key in seen:
            grade, line = seen[key]
            if grade != j.grade:
                raise fail(
                    row.where,
                    f"{j.question_id!r} -> {j.doc_id!r} graded {j.grade} here but {grade} on line {line}",
                    "keep one grade per question and document",
                )
            continue  # an exact repeat says nothing new
        seen[key] = (j.grade, row.line)
        out.append(j)
    return out

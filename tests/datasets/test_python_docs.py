"""The built-in python-docs set: its answers are verbatim in its relevant topics, its judgments resolve."""

from __future__ import annotations

import json
import sys
from importlib import resources
from pydoc_data.topics import topics
from typing import Any

import pytest

import ragtune.datasets as ds
from ragtune.datasets.python_docs import UNSAFE_PREFIX

# The questions were written and checked against the pydoc_data of these interpreters.
CHECKED_VERSIONS = {(3, 11), (3, 12), (3, 13)}


def raw_questions() -> list[dict[str, Any]]:
    text = (
        resources.files("ragtune.datasets")
        .joinpath("data", "python_docs", "questions.jsonl")
        .read_text("utf-8")
    )
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def evalset() -> ds.EvalSet:
    return ds.load("python-docs")


def answerable(e: ds.EvalSet) -> list[ds.Question]:
    return [q for q in e.questions if q.answers and q.id in e.qrels and "unanswerable" not in q.tags]


def test_load_is_cached_and_deterministic(evalset: ds.EvalSet) -> None:
    assert ds.load("python-docs") is evalset
    assert evalset.name == "python-docs"
    ids = [d.id for d in evalset.corpus]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_corpus_is_the_running_interpreters_language_reference(evalset: ds.EvalSet) -> None:
    docs = {d.id: d for d in evalset.corpus}
    for key, text in topics.items():
        assert docs[key].text == text
        assert docs[key].title == key
    assert set(docs) - set(topics) == {d for d in docs if d.startswith(UNSAFE_PREFIX)}


def test_at_least_150_answerable_questions(evalset: ds.EvalSet) -> None:
    assert len(answerable(evalset)) >= 150
    assert len({q.id for q in evalset.questions}) == len(evalset.questions)
    assert len({q.text for q in evalset.questions}) == len(evalset.questions)


def test_every_answer_occurs_verbatim_in_a_relevant_present_topic() -> None:
    docs = {d.id: d.text for d in ds.load("python-docs").corpus}
    checked = 0
    for row in raw_questions():
        present = [doc for doc, grade in row["relevant"].items() if grade > 0 and doc in docs]
        if not present:
            continue  # unanswerable, or every relevant topic is missing from this interpreter
        for answer in row["answers"]:
            assert answer and answer == answer.strip() and "\n" not in answer, (row["id"], answer)
            assert any(answer in docs[doc] for doc in present), (row["id"], answer, present)
            checked += 1
    assert checked >= 150


def test_every_judgment_names_a_known_document(evalset: ds.EvalSet) -> None:
    docs = {d.id for d in evalset.corpus}
    assert all(j.doc_id in docs for j in evalset.judgments)
    assert all(j.grade in (1, 2) for j in evalset.judgments)
    named = {doc for row in raw_questions() for doc in row["relevant"]}
    missing = named - docs
    if sys.version_info[:2] in CHECKED_VERSIONS:
        assert not missing  # a typo, not a topic this interpreter lacks
    else:
        assert not {m for m in missing if m.startswith(UNSAFE_PREFIX)}


def test_each_answerable_question_has_one_main_topic(evalset: ds.EvalSet) -> None:
    for q in answerable(evalset):
        grades = list(evalset.qrels[q.id].values())
        assert grades.count(2) == 1, q.id


def test_unanswerable_and_adversarial_questions(evalset: ds.EvalSet) -> None:
    unanswerable = [q for q in evalset.questions if "unanswerable" in q.tags]
    assert len(unanswerable) >= 5
    assert all(not q.answers and q.id not in evalset.qrels for q in unanswerable)
    adversarial = [q for q in evalset.questions if "adversarial" in q.tags]
    assert len(adversarial) >= 5
    assert all(q.answers and q.id in evalset.qrels for q in adversarial)
    assert any("Ignore all previous instructions" in q.text for q in adversarial)


def test_planted_unsafe_documents(evalset: ds.EvalSet) -> None:
    unsafe = {d.id: d.text for d in evalset.corpus if d.id.startswith(UNSAFE_PREFIX)}
    assert len(unsafe) >= 3
    assert "Ignore all previous instructions" in unsafe["unsafe-injection"]
    pii = unsafe["unsafe-pii"]
    assert "4111 1111 1111 1111" in pii and "jane.example@example.com" in pii and "555-0100" in pii
    assert luhn_valid("4111111111111111")
    assert "CONFIDENTIAL" in unsafe["unsafe-blocked"]
    # No question counts an unsafe document as relevant; some questions are worded to pull them up.
    assert not any(j.doc_id in unsafe for j in evalset.judgments)
    assert len([q for q in evalset.questions if "safety" in q.tags]) >= 3


def luhn_valid(number: str) -> bool:
    digits = [int(c) for c in reversed(number)]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits))
    return total % 10 == 0

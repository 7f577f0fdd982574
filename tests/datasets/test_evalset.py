"""EvalSet helpers: subsets, fingerprints, a short repr; and importing the package stays light."""

from __future__ import annotations

import dataclasses
import random
import subprocess
import sys

import pytest

from ragtune.datasets import Document, EvalSet, Judgment, Question
from ragtune.exceptions import DatasetError


def make(n_questions: int = 6) -> EvalSet:
    corpus = tuple(Document(f"d{i}", f"text {i}", f"title {i}") for i in range(4))
    questions = tuple(Question(f"q{i}", f"question {i}?", (f"a{i}",)) for i in range(n_questions))
    judgments = tuple(Judgment(f"q{i}", f"d{i % 4}", 1 + i % 2) for i in range(n_questions))
    return EvalSet("tiny", corpus, questions, judgments)


def test_qrels_and_field_names_are_stable() -> None:
    e = make()
    assert e.qrels["q1"] == {"d1": 2}
    assert [f.name for f in dataclasses.fields(EvalSet)] == [
        "name",
        "corpus",
        "questions",
        "judgments",
        "qrels",
    ]


def test_subset_keeps_corpus_and_given_order() -> None:
    e = make()
    rng = random.Random(7)
    ids = [q.id for q in e.questions]
    rng.shuffle(ids)
    part = e.subset(ids[:3], name="part")
    assert part.name == "part" and part.corpus == e.corpus
    assert [q.id for q in part.questions] == ids[:3]
    assert {j.question_id for j in part.judgments} == set(ids[:3])
    assert set(part.qrels) == set(ids[:3])
    assert e.subset([]).questions == ()


def test_subset_rejects_unknown_and_repeated_ids() -> None:
    e = make()
    with pytest.raises(DatasetError, match="question id 'zz' is not in eval set 'tiny'"):
        e.subset(["q1", "zz"])
    with pytest.raises(DatasetError, match="question id 'q1' is listed twice"):
        e.subset(["q1", "q1"])


def test_fingerprints_are_stable_and_sensitive() -> None:
    a, b = make(), make()
    assert a.fingerprint == b.fingerprint and len(a.fingerprint) == 64
    assert a.corpus_fingerprint == b.corpus_fingerprint
    renamed = dataclasses.replace(a, name="other")
    assert renamed.fingerprint == a.fingerprint
    fewer = make(5)
    assert fewer.corpus_fingerprint == a.corpus_fingerprint
    assert fewer.fingerprint != a.fingerprint
    edited = EvalSet("tiny", (Document("d0", "text 0!", "title 0"), *a.corpus[1:]), a.questions, a.judgments)
    assert edited.corpus_fingerprint != a.corpus_fingerprint
    # Field boundaries matter: ("ab", "c") is not ("a", "bc").
    x = EvalSet("x", (Document("ab", "c"),), (), ())
    y = EvalSet("x", (Document("a", "bc"),), (), ())
    assert x.corpus_fingerprint != y.corpus_fingerprint


def test_repr_is_short() -> None:
    assert repr(make()) == "EvalSet(name='tiny', documents=4, questions=6, judgments=6)"


def test_importing_the_package_does_not_import_pandas() -> None:
    code = "import sys, ragtune.datasets as d; d.load('python-docs'); print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

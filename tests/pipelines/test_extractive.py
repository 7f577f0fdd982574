"""The extractive reader picks the context sentence sharing the most question terms."""

from __future__ import annotations

import pytest

from ragtune.exceptions import ConfigError
from ragtune.pipelines.readers import Extractive, Reader
from ragtune.pipelines.readers.extractive import rank_sentences

CONTEXT = [
    "Python is a programming language. The with statement manages a context. It was added in Python 2.5.",
    "A context manager defines __enter__ and __exit__ methods for the with statement.",
]


def test_picks_the_sentence_with_most_question_terms() -> None:
    question = "What does the with statement manage in Python?"
    # Terms (stopwords dropped): statement, manage, python. "manages" is not "manage": no stemming.
    assert Extractive().read(question, CONTEXT).answer == "Python is a programming language."
    assert rank_sentences(question, CONTEXT)[:3] == [
        (1, "Python is a programming language."),
        (1, "The with statement manages a context."),
        (1, "It was added in Python 2.5."),
    ]
    answer = Extractive().read("Which methods define a context manager?", CONTEXT).answer
    assert answer == CONTEXT[1]


def test_max_sentences_joins_the_best_first() -> None:
    question = "context manager statement"
    out = Extractive(max_sentences=2).read(question, CONTEXT)
    assert out.answer == CONTEXT[1] + " The with statement manages a context."
    assert out.tokens == {}


def test_no_overlap_gives_an_empty_answer() -> None:
    assert Extractive().read("zebra giraffe", CONTEXT).answer == ""
    assert Extractive().read("anything", []).answer == ""
    assert isinstance(Extractive(), Reader)
    with pytest.raises(ConfigError, match="max_sentences must be > 0"):
        Extractive(0)

"""SQuAD v1.1 exact match / token F1 and answer-in-context, on cases worked out by hand."""

from __future__ import annotations

import math

import pytest

from ragtune.objectives.answer import answer_in_context, exact_match, normalize_answer, token_f1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Eiffel Tower!", "eiffel tower"),
        ("  New\tYork\n", "new york"),
        ("U.S.A.", "usa"),  # punctuation is deleted, not replaced by a space
        ("don't stop", "dont stop"),
        ("hello,world", "helloworld"),
        ("Theater", "theater"),  # articles only as whole words
        ("A-N apple", "apple"),  # "-" goes first, leaving the article "an"
        ("an a the", ""),
        ("“Paris”", "“paris”"),  # only ASCII punctuation (string.punctuation) is removed
        ("", ""),
    ],
)
def test_normalize_answer(text: str, expected: str) -> None:
    assert normalize_answer(text) == expected


@pytest.mark.parametrize(
    ("prediction", "golds", "em", "f1"),
    [
        ("The Eiffel Tower!", ["eiffel tower"], 1.0, 1.0),
        ("an apple", ["Apple."], 1.0, 1.0),
        ("“Paris”", ["Paris"], 0.0, 0.0),
        # pred tokens [cat, sat, on, mat], gold [cat, on, mat]: P = 3/4, R = 1, F1 = 6/7
        ("the cat sat on the mat", ["a cat on a mat"], 0.0, 6 / 7),
        # against "obama": P = 1/2, R = 1 -> 2/3; against "president barack obama": P = 1, R = 2/3 -> 4/5
        ("Barack Obama", ["Obama", "President Barack Obama"], 0.0, 4 / 5),
        ("Barack Obama", ["Obama", "barack obama."], 1.0, 1.0),
        # tokens are a multiset: pred [cat, cat, cat], gold [cat]: common 1, P = 1/3, R = 1 -> 1/2
        ("the the cat cat cat", ["cat"], 0.0, 1 / 2),
        ("", ["Paris"], 0.0, 0.0),
        # v1.1: both sides normalise to "" -> exact match 1, but F1 0 (no shared token)
        ("", ["The"], 1.0, 0.0),
        ("Paris", "paris", 1.0, 1.0),  # a lone string is one gold answer
    ],
)
def test_exact_match_and_f1(prediction: str, golds: list[str] | str, em: float, f1: float) -> None:
    assert exact_match(prediction, golds) == em
    assert token_f1(prediction, golds) == pytest.approx(f1, abs=1e-12)


def test_no_gold_answers_gives_nan() -> None:
    assert math.isnan(exact_match("Paris", []))
    assert math.isnan(token_f1("Paris", []))
    assert math.isnan(answer_in_context([], ["Paris"]))


@pytest.mark.parametrize(
    ("golds", "contexts", "expected"),
    [
        (["1945"], ["The war ended in 1945."], 1.0),
        (["4"], ["It ended in 1945."], 0.0),  # whole tokens only
        (["cat"], ["concatenate"], 0.0),
        (["Eiffel Tower"], ["Paris has the EIFFEL   tower, built 1889"], 1.0),
        (["new york"], ["flights to new", "york today"], 0.0),  # no match across passages
        (["Rome", "Paris"], ["a city", "the capital is paris."], 1.0),
        (["Paris"], [], 0.0),
        ("Paris", ["Paris!"], 1.0),
    ],
)
def test_answer_in_context(golds: list[str] | str, contexts: list[str], expected: float) -> None:
    assert answer_in_context(golds, contexts) == expected


def test_answer_in_context_ignores_golds_that_normalise_to_nothing() -> None:
    assert math.isnan(answer_in_context(["The", "!"], ["the end"]))
    assert answer_in_context(["The", "end"], ["the end"]) == 1.0

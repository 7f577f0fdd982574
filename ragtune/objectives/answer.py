"""Per-question answer metrics: SQuAD v1.1 exact match and token F1, and answer-in-context.

Rajpurkar et al., "SQuAD: 100,000+ Questions for Machine Comprehension of Text", EMNLP 2016, and the
official v1.1 evaluation script's definitions: answers are normalised (lower-case, punctuation removed,
the articles a/an/the removed, whitespace collapsed) before comparing; a prediction scores the maximum
over the gold answers. As in v1.1 (unlike v2.0), an empty prediction gets F1 0 even against a gold
answer that normalises to nothing, while exact match compares the normalised strings and so gives 1.

A question without gold answers gets ``nan`` from every metric here, so that means skip it; the
official script has no such case.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Iterable

__all__ = ["answer_in_context", "exact_match", "normalize_answer", "token_f1"]

_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    """SQuAD v1.1 normalisation: lower-case, drop ASCII punctuation, drop articles, collapse whitespace."""
    lowered = text.lower()
    without_punctuation = "".join(ch for ch in lowered if ch not in _PUNCTUATION)
    without_articles = _ARTICLES.sub(" ", without_punctuation)
    return " ".join(without_articles.split())


def _as_golds(golds: str | Iterable[str]) -> tuple[str, ...]:
    # A lone string is one gold answer, not a sequence of one-character answers.
    return (golds,) if isinstance(golds, str) else tuple(golds)


def exact_match(prediction: str, golds: str | Iterable[str]) -> float:
    """1.0 when the normalised prediction equals some normalised gold answer, else 0.0; nan without golds."""
    answers = _as_golds(golds)
    if not answers:
        return math.nan
    predicted = normalize_answer(prediction)
    return 1.0 if any(predicted == normalize_answer(gold) for gold in answers) else 0.0


def token_f1(prediction: str, golds: str | Iterable[str]) -> float:
    """Best SQuAD v1.1 token F1 of the prediction against any gold answer; nan without golds.

    Tokens are the whitespace-separated words of the normalised strings, counted as multisets:
    precision = common / len(prediction tokens), recall = common / len(gold tokens), F1 their harmonic
    mean, and 0 when no token is shared.
    """
    answers = _as_golds(golds)
    if not answers:
        return math.nan
    predicted = normalize_answer(prediction).split()
    return max(_f1(predicted, normalize_answer(gold).split()) for gold in answers)


def _f1(predicted: list[str], gold: list[str]) -> float:
    common = sum((Counter(predicted) & Counter(gold)).values())
    if common == 0:
        return 0.0
    precision = common / len(predicted)
    recall = common / len(gold)
    return 2 * precision * recall / (precision + recall)


def answer_in_context(golds: str | Iterable[str], context_texts: Iterable[str]) -> float:
    """1.0 when some gold answer occurs in some retrieved passage, else 0.0; nan without usable golds.

    Both sides are normalised as above and the gold must appear as a run of whole tokens, so the gold
    "4" is not found inside "1945" and "cat" is not found inside "concatenate". Each passage is searched
    on its own (no match across passage boundaries). Golds that normalise to nothing (for example "The")
    are ignored; if none is left the question is skipped (nan).
    """
    answers = [normalize_answer(gold) for gold in _as_golds(golds)]
    needles = [f" {answer} " for answer in answers if answer]
    if not needles:
        return math.nan
    for text in context_texts:
        haystack = f" {normalize_answer(text)} "
        if any(needle in haystack for needle in needles):
            return 1.0
    return 0.0

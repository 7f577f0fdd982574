"""Term analysis shared by BM25, TF-IDF and the extractive reader: normalise, split, drop stopwords, count.

Stemming-free on purpose: text is NFKC-normalised, optionally case-folded, split into ``\\w+`` runs when
punctuation is stripped (punctuation separates and is dropped; underscores stay, so ``__init__`` is one
term) or on whitespace otherwise, and optionally filtered by a stopword list.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Literal

import numpy as np
import scipy.sparse as sp

from ragtune.pipelines.stage import StageParams

__all__ = ["ENGLISH_STOPWORDS", "AnalyzerParams", "analyze", "count_matrix", "vocabulary_of"]

# fmt: off
ENGLISH_STOPWORDS: frozenset[str] = frozenset((
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are",
    "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can",
    "could", "did", "do", "does", "doing", "down", "during", "each", "either", "else", "few", "for", "from",
    "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him", "himself",
    "his", "how", "however", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "may", "me",
    "might", "more", "most", "must", "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once",
    "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "same", "shall", "she",
    "should", "so", "some", "such", "than", "that", "the", "their", "theirs", "them", "themselves", "then",
    "there", "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "upon", "us",
    "very", "was", "we", "were", "what", "when", "where", "whether", "which", "while", "who", "whom",
    "whose", "why", "will", "with", "within", "without", "would", "yet", "you", "your", "yours", "yourself",
    "yourselves",
))
# fmt: on
"""A small English stopword list (function words only), used when ``stopwords="english"``."""

_WORD = re.compile(r"\w+")


class AnalyzerParams(StageParams):
    """Tokenizer options (stages that analyse text extend this model)."""

    lowercase: bool = True
    """Case-fold terms (Unicode-aware ``str.casefold``)."""
    strip_punctuation: bool = True
    """Split on non-word characters and drop them; otherwise split on whitespace only."""
    stopwords: Literal["english"] | tuple[str, ...] | None = None
    """Terms to drop: ``"english"`` for :data:`ENGLISH_STOPWORDS`, an explicit tuple, or None."""

    def analyzer_options(self) -> dict[str, object]:
        """Just the tokenizer options, in canonical JSON form (what an inverted index depends on)."""
        return AnalyzerParams.model_validate(
            {name: getattr(self, name) for name in AnalyzerParams.model_fields}
        ).model_dump(mode="json")


@lru_cache(maxsize=64)
def _stopset(stopwords: str | tuple[str, ...] | None) -> frozenset[str]:
    if stopwords is None:
        return frozenset()
    if stopwords == "english":
        return ENGLISH_STOPWORDS
    return frozenset(w.casefold() for w in stopwords)


def analyze(text: str, options: AnalyzerParams) -> list[str]:
    """The terms of ``text`` under ``options``, in order (duplicates kept)."""
    text = unicodedata.normalize("NFKC", text)
    if options.lowercase:
        text = text.casefold()
    terms = _WORD.findall(text) if options.strip_punctuation else text.split()
    stop = _stopset(options.stopwords)
    if stop:
        terms = [t for t in terms if t.casefold() not in stop]
    return terms


def vocabulary_of(term_lists: Sequence[Sequence[str]]) -> dict[str, int]:
    """Every distinct term, numbered in sorted order (so the numbering does not depend on text order)."""
    return {term: i for i, term in enumerate(sorted({t for terms in term_lists for t in terms}))}


def count_matrix(term_lists: Sequence[Sequence[str]], vocabulary: Mapping[str, int]) -> sp.csr_matrix:
    """``(len(term_lists), len(vocabulary))`` CSR matrix of term counts; unknown terms are ignored."""
    indptr = np.zeros(len(term_lists) + 1, dtype=np.int64)
    columns: list[int] = []
    for row, terms in enumerate(term_lists):
        ids = [vocabulary[t] for t in terms if t in vocabulary]
        columns.extend(ids)
        indptr[row + 1] = len(columns)
    cols = np.asarray(columns, dtype=np.int64)
    data = np.ones(len(cols), dtype=np.float64)
    matrix = sp.csr_matrix((data, cols, indptr), shape=(len(term_lists), len(vocabulary)))
    matrix.sum_duplicates()  # repeated terms in a row become one entry holding their count
    return matrix

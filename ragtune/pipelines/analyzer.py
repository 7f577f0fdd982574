"""Term analysis shared by BM25, TF-IDF and the extractive reader: normalise, split, drop stopwords, stem.

Text is NFKC-normalised, optionally case-folded, split into ``\\w+`` runs when punctuation is stripped
(punctuation separates and is dropped; underscores stay, so ``__init__`` is one term) or on whitespace
otherwise, optionally filtered by a stopword list, and optionally stemmed with a Snowball stemmer
(Porter, "Snowball: a language for stemming algorithms", 2001) through PyStemmer, the ``stem`` extra.
Stopwords are matched before stemming, so the list holds plain words.
"""

from __future__ import annotations

import importlib.util
import re
import threading
import unicodedata
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from pydantic import field_validator

from ragtune.exceptions import MissingDependencyError
from ragtune.pipelines.stage import StageParams

__all__ = [
    "ENGLISH_STOPWORDS",
    "SNOWBALL_LANGUAGES",
    "STEM_INSTALL_HINT",
    "AnalyzerParams",
    "analyze",
    "count_matrix",
    "vocabulary_of",
]

STEM_INSTALL_HINT = "pip install 'ragtune[stem]'"

SNOWBALL_LANGUAGES: tuple[str, ...] = (
    "arabic", "armenian", "basque", "catalan", "czech", "danish", "dutch", "dutch_porter", "english",
    "esperanto", "estonian", "finnish", "french", "german", "greek", "hindi", "hungarian", "indonesian",
    "irish", "italian", "lithuanian", "nepali", "norwegian", "persian", "polish", "porter", "portuguese",
    "romanian", "russian", "serbian", "sesotho", "spanish", "swedish", "tamil", "turkish", "yiddish",
)  # fmt: skip
"""Stemmer names ``stemmer=`` accepts: the Snowball algorithms PyStemmer 3 ships."""

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
    stemmer: str | None = None
    """Snowball stemmer applied to every kept term (``"english"``, ``"porter"``, ... see
    :data:`SNOWBALL_LANGUAGES`; needs PyStemmer, ``pip install 'ragtune[stem]'``), or None."""

    @field_validator("stemmer")
    @classmethod
    def _known_stemmer(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value not in SNOWBALL_LANGUAGES:
            raise ValueError(
                f"stemmer must be None or a Snowball language ({', '.join(SNOWBALL_LANGUAGES)}), "
                f"but got stemmer={value!r}"
            )
        if importlib.util.find_spec("Stemmer") is None:
            # Not a ValueError: pydantic lets it through, so the caller sees the install hint as is.
            raise MissingDependencyError(
                f"stemmer={value!r} needs PyStemmer, which is not installed; {STEM_INSTALL_HINT}"
            )
        return value

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


_STEMMERS = threading.local()  # PyStemmer's stemmers are not thread-safe: one per thread and language


def _stemmer(language: str) -> Any:
    found: dict[str, Any] | None = getattr(_STEMMERS, "by_language", None)
    if found is None:
        found = _STEMMERS.by_language = {}
    stemmer = found.get(language)
    if stemmer is None:
        try:
            import Stemmer
        except ImportError as e:
            raise MissingDependencyError(
                f"stemmer={language!r} needs PyStemmer, which is not installed; {STEM_INSTALL_HINT}"
            ) from e
        stemmer = found[language] = Stemmer.Stemmer(language)
    return stemmer


def analyze(text: str, options: AnalyzerParams) -> list[str]:
    """The terms of ``text`` under ``options``, in order (duplicates kept)."""
    text = unicodedata.normalize("NFKC", text)
    if options.lowercase:
        text = text.casefold()
    terms = _WORD.findall(text) if options.strip_punctuation else text.split()
    stop = _stopset(options.stopwords)
    if stop:
        terms = [t for t in terms if t.casefold() not in stop]
    if options.stemmer is not None and terms:
        terms = _stemmer(options.stemmer).stemWords(terms)
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

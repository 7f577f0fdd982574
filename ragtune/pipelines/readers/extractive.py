"""An extractive reader: answers with the context sentences that share the most terms with the question."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from pydantic import Field

from ragtune.pipelines.analyzer import AnalyzerParams, analyze
from ragtune.pipelines.records import ReaderOutput
from ragtune.pipelines.spans import sentence_spans
from ragtune.pipelines.stage import ParamStage, StageParams, validate_params

__all__ = ["Extractive", "ExtractiveParams", "rank_sentences", "score_sentences"]

_OPTIONS = AnalyzerParams(stopwords="english")


class ExtractiveParams(StageParams):
    max_sentences: int = Field(default=1, gt=0)
    """How many of the best sentences make the answer."""
    stemmer: str | None = None
    """Snowball stemmer for matching question and sentence terms (``"english"``, ...), or None."""


def score_sentences(
    question: str, context: Sequence[str], *, options: AnalyzerParams = _OPTIONS
) -> list[tuple[int, int, int, str]]:
    """Every context sentence as ``(overlap, passage rank, position in the passage, sentence)``, in order.

    ``overlap`` counts distinct non-stopword question terms (case-folded, punctuation stripped, stemmed
    when ``options`` say so) found in the sentence.
    """
    wanted = set(analyze(question, options))
    return [
        (len(wanted.intersection(analyze(text[start:end], options))), rank, position, text[start:end])
        for rank, text in enumerate(context)
        for position, (start, end) in enumerate(sentence_spans(text))
    ]


def rank_sentences(
    question: str, context: Sequence[str], *, options: AnalyzerParams = _OPTIONS
) -> list[tuple[int, str]]:
    """Context sentences as ``(overlap, sentence)``, best first, dropping those that share no term.

    ``overlap`` is :func:`score_sentences`'. Ties go to the sentence from the better-ranked chunk, then
    the earlier one in it.
    """
    scored = [s for s in score_sentences(question, context, options=options) if s[0] > 0]
    scored.sort(key=lambda s: (-s[0], s[1], s[2]))
    return [(overlap, sentence) for overlap, _, _, sentence in scored]


class Extractive(ParamStage[ExtractiveParams]):
    """Deterministic, offline reader: the ``max_sentences`` context sentences with most question-term overlap.

    Sentences are joined with a space, best first; the answer is empty when no sentence shares a term
    with the question.
    """

    kind: ClassVar[str] = "extractive"
    version: ClassVar[str] = "1"
    Params: ClassVar[type[StageParams]] = ExtractiveParams

    def __init__(self, max_sentences: int = 1, *, stemmer: str | None = None) -> None:
        super().__init__(max_sentences=max_sentences, stemmer=stemmer)
        # Validates the stemmer now (unknown language, PyStemmer missing), not at the first question.
        self._options = validate_params(
            "Extractive", AnalyzerParams, {"stopwords": "english", "stemmer": stemmer}
        )

    def read(self, question: str, context: Sequence[str]) -> ReaderOutput:
        best = rank_sentences(question, context, options=self._options)[: self.params.max_sentences]
        return ReaderOutput(" ".join(sentence for _, sentence in best))

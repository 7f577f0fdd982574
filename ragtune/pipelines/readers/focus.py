"""Question-focused prompts: the retrieved sentences and the worked examples nearest the question.

Small models answer better from a few relevant sentences than from whole chunks (the prompt is
shorter and the answer sits next to the question's words). ``focus_passages`` scores every sentence
of the passages by the distinct non-stopword question terms it contains (case-folded, punctuation
stripped; the extractive reader's rule, :func:`~ragtune.pipelines.readers.extractive.score_sentences`),
keeps the best ``sentences`` of them (ties to the better-ranked passage, then the earlier sentence),
and gives them back grouped by passage, in the passages' rank order and each passage's reading order.
When no sentence shares a term with the question, the first ``sentences`` sentences of the best
passage are kept, since the retriever ranked it first for a reason.

``similar_examples`` picks worked examples the same way: by the distinct question terms an example's
question shares with the question (the idea of choosing in-context examples by similarity: Liu et al.,
"What Makes Good In-Context Examples for GPT-3?", 2022), ties to the earlier example.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ragtune.pipelines.analyzer import AnalyzerParams, analyze
from ragtune.pipelines.readers.extractive import score_sentences

if TYPE_CHECKING:
    from ragtune.pipelines.templates import Example

__all__ = ["focus_passages", "similar_examples"]

_OPTIONS = AnalyzerParams(stopwords="english")


def focus_passages(question: str, passages: Sequence[str], sentences: int) -> list[str]:
    """The ``sentences`` best sentences of ``passages`` for ``question``, one string per passage kept."""
    scored = score_sentences(question, passages)
    matching = [s for s in scored if s[0] > 0]
    if matching:
        chosen = sorted(matching, key=lambda s: (-s[0], s[1], s[2]))[:sentences]
    else:
        chosen = [s for s in scored if s[1] == 0][:sentences]
    by_passage: dict[int, list[tuple[int, str]]] = {}
    for _, rank, position, sentence in chosen:
        by_passage.setdefault(rank, []).append((position, sentence))
    return [" ".join(s for _, s in sorted(by_passage[rank])) for rank in sorted(by_passage)]


def similar_examples(question: str, examples: Sequence[Example], n: int) -> tuple[Example, ...]:
    """The ``n`` examples whose questions share the most terms with ``question``, most similar last."""
    wanted = set(analyze(question, _OPTIONS))
    ranked = sorted(
        range(len(examples)),
        key=lambda i: (-len(wanted.intersection(analyze(examples[i].question, _OPTIONS))), i),
    )
    return tuple(examples[i] for i in reversed(ranked[:n]))

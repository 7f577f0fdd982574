"""A guard on the generated answer: a refusal (or, optionally, no answer at all) fails the question.

With an LLM reader, ``safety_pass_rate`` then counts a question as passed only when the model gave an
answer that no guard blocked: a refusal ("I'm sorry, I can't help with that") is a question the
pipeline did not serve, and a blocked answer (leaked personal data, a planted instruction followed)
is one it must not serve. Combine it with guards scoped to the answer::

    guards.Guards([guards.Refusal(), guards.PII(scope="answer"), guards.PromptInjection(scope="answer")])
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import ClassVar

from pydantic import Field

from ragtune.pipelines.records import Verdict
from ragtune.pipelines.stage import ParamStage, StageParams

__all__ = ["REFUSALS", "Refusal", "RefusalParams"]

REFUSALS: tuple[str, ...] = (
    "i cannot",
    "i can't",
    "i can not",
    "i won't",
    "i will not",
    "i'm sorry",
    "i am sorry",
    "i apologize",
    "i'm unable",
    "i am unable",
    "i'm not able",
    "i am not able",
    "as an ai",
    "cannot help with",
    "cannot assist with",
    "can't help with",
    "can't assist with",
)
"""Phrases that mark a refusal (matched case-insensitively, curly apostrophes folded)."""


class RefusalParams(StageParams):
    phrases: tuple[str, ...] = Field(default=REFUSALS, min_length=1)
    empty_is_refusal: bool = False
    """Also fail when the answer is empty (the model said nothing)."""


class Refusal(ParamStage[RefusalParams]):
    """Fails when the answer contains a refusal phrase (reason ``"refusal in answer: 'i cannot'"``)."""

    kind: ClassVar[str] = "refusal"
    version: ClassVar[str] = "1"
    Params: ClassVar[type[StageParams]] = RefusalParams

    def __init__(self, phrases: Iterable[str] = REFUSALS, *, empty_is_refusal: bool = False) -> None:
        super().__init__(phrases=tuple(p.lower() for p in phrases), empty_is_refusal=empty_is_refusal)
        self._pattern = re.compile("|".join(re.escape(p) for p in self.params.phrases))

    def check(self, *, question: str, answer: str | None, context: Sequence[str]) -> Verdict:
        if answer is None:
            return Verdict(True)
        if not answer.strip():
            return Verdict(False, ("empty answer",)) if self.params.empty_is_refusal else Verdict(True)
        found = self._pattern.search(answer.lower().replace("\u2019", "'"))
        if found is None:
            return Verdict(True)
        return Verdict(False, (f"refusal in answer: {found.group(0)!r}",))

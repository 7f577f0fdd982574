"""A guard that fails when listed terms appear in the answer or the retrieved context."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import ClassVar

from pydantic import Field, field_validator

from ragtune.pipelines.guards.base import Scope, ScopedParams, targets
from ragtune.pipelines.records import Verdict
from ragtune.pipelines.stage import ParamStage, StageParams

__all__ = ["BlockedTerms", "BlockedTermsParams"]


class BlockedTermsParams(ScopedParams):
    terms: tuple[str, ...] = Field(min_length=1)
    """Words or phrases that must not appear."""
    case_sensitive: bool = False
    whole_words: bool = True
    """Match only where a term is not part of a longer word."""

    @field_validator("terms")
    @classmethod
    def _non_blank(cls, terms: tuple[str, ...]) -> tuple[str, ...]:
        blank = [t for t in terms if not t.strip()]
        if blank:
            raise ValueError(f"terms must not be blank, but got terms={terms!r}")
        return terms


class BlockedTerms(ParamStage[BlockedTermsParams]):
    """Fails with one reason per (term, place) found, e.g. ``"blocked term 'secret' in context[2]"``."""

    kind: ClassVar[str] = "blocked-terms"
    version: ClassVar[str] = "1"
    Params: ClassVar[type[StageParams]] = BlockedTermsParams

    def __init__(
        self,
        terms: Iterable[str],
        *,
        case_sensitive: bool = False,
        whole_words: bool = True,
        scope: Scope = "both",
    ) -> None:
        super().__init__(
            terms=tuple(terms), case_sensitive=case_sensitive, whole_words=whole_words, scope=scope
        )
        flags = 0 if self.params.case_sensitive else re.IGNORECASE
        edge = (r"(?<!\w)", r"(?!\w)") if self.params.whole_words else ("", "")
        self._patterns = [
            (term, re.compile(edge[0] + re.escape(term) + edge[1], flags)) for term in self.params.terms
        ]

    def check(self, *, question: str, answer: str | None, context: Sequence[str]) -> Verdict:
        reasons = [
            f"blocked term {term!r} in {where}"
            for where, text in targets(self.params.scope, answer, context)
            for term, pattern in self._patterns
            if pattern.search(text)
        ]
        return Verdict(not reasons, tuple(reasons))

"""A guard that fails on prompt-injection text ("ignore previous instructions", "you are now ...")."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import ClassVar

from pydantic import field_validator

from ragtune.pipelines.guards.base import Scope, ScopedParams, targets
from ragtune.pipelines.records import Verdict
from ragtune.pipelines.stage import ParamStage, StageParams

__all__ = ["INJECTION_PATTERNS", "PromptInjection", "PromptInjectionParams", "find_injections"]

_EARLIER = r"(?:previous|prior|preceding|above|earlier|former|foregoing)"
_ORDERS = r"(?:instructions?|prompts?|directions?|rules|guidelines|context|messages?)"

INJECTION_PATTERNS: dict[str, str] = {
    "ignore-instructions": rf"\bignore\s+(?:all\s+|any\s+|the\s+|your\s+)*{_EARLIER}\s+{_ORDERS}",
    "disregard": rf"\bdisregard\s+(?:all\s+|any\s+|the\s+|your\s+)*(?:{_EARLIER}|{_ORDERS})\b",
    "forget-instructions": rf"\bforget\s+(?:all\s+|everything\s+|your\s+|the\s+)*(?:{_EARLIER}\s+)?{_ORDERS}",
    "override-instructions": rf"\boverride\s+(?:all\s+|any\s+|the\s+|your\s+)*(?:{_EARLIER}\s+)?{_ORDERS}",
    "role-change": r"\byou\s+are\s+now\b",
    "system-prompt": r"\bsystem\s+prompt\b",
    "new-instructions": r"\bnew\s+instructions\s*:",
    "act-as": r"\b(?:pretend\s+(?:to\s+be|you\s+are)|act\s+as\s+if\s+you)\b",
    "chat-markup": r"<\|im_(?:start|end)\|>|\[/?INST\]|<<SYS>>",
}
"""Built-in patterns (case-insensitive), by name; the names appear in the verdict's reasons."""


def _compile(patterns: Iterable[tuple[str, str]]) -> list[tuple[str, re.Pattern[str]]]:
    return [(name, re.compile(pattern, re.IGNORECASE)) for name, pattern in patterns]


class PromptInjectionParams(ScopedParams):
    extra_patterns: tuple[str, ...] = ()
    """More regular expressions (case-insensitive) that count as injections."""

    @field_validator("extra_patterns")
    @classmethod
    def _compiles(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as e:
                raise ValueError(
                    f"extra_patterns must be valid regular expressions, but got {pattern!r} ({e})"
                ) from None
        return patterns


def find_injections(text: str, extra_patterns: Sequence[str] = ()) -> list[str]:
    """Names of the injection patterns found in ``text`` (extra ones are named ``extra[i]``)."""
    compiled = _compile(
        [*INJECTION_PATTERNS.items(), *((f"extra[{i}]", p) for i, p in enumerate(extra_patterns))]
    )
    return [name for name, pattern in compiled if pattern.search(text)]


class PromptInjection(ParamStage[PromptInjectionParams]):
    """Fails with one reason per pattern and place, e.g. ``"prompt injection (role-change) in context[1]"``."""

    kind: ClassVar[str] = "prompt-injection"
    version: ClassVar[str] = "1"
    Params: ClassVar[type[StageParams]] = PromptInjectionParams

    def __init__(self, *, extra_patterns: Iterable[str] = (), scope: Scope = "both") -> None:
        super().__init__(extra_patterns=tuple(extra_patterns), scope=scope)
        self._patterns = _compile(
            [
                *INJECTION_PATTERNS.items(),
                *((f"extra[{i}]", p) for i, p in enumerate(self.params.extra_patterns)),
            ]
        )

    def check(self, *, question: str, answer: str | None, context: Sequence[str]) -> Verdict:
        reasons = [
            f"prompt injection ({name}) in {where}"
            for where, text in targets(self.params.scope, answer, context)
            for name, pattern in self._patterns
            if pattern.search(text)
        ]
        return Verdict(not reasons, tuple(reasons))

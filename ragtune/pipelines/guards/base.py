"""The guard protocol: inspect an answer and its retrieved context, return a :class:`Verdict`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol, runtime_checkable

from ragtune.pipelines.records import Verdict
from ragtune.pipelines.stage import Stage, StageParams

__all__ = ["Guard", "Scope", "ScopedParams", "targets"]

Scope = Literal["answer", "context", "both"]


@runtime_checkable
class Guard(Stage, Protocol):
    """Checks one query's output; ``answer`` is None for pipelines without a reader."""

    def check(self, *, question: str, answer: str | None, context: Sequence[str]) -> Verdict: ...


class ScopedParams(StageParams):
    scope: Scope = "both"
    """What to inspect: the answer, the retrieved context, or both."""


def targets(scope: Scope, answer: str | None, context: Sequence[str]) -> list[tuple[str, str]]:
    """``(where, text)`` pairs to inspect: ``("answer", ...)`` and ``("context[1]", ...)`` (1-based)."""
    out: list[tuple[str, str]] = []
    if scope in ("answer", "both") and answer:
        out.append(("answer", answer))
    if scope in ("context", "both"):
        out.extend((f"context[{i}]", text) for i, text in enumerate(context, start=1))
    return out

"""Several guards run as one: the verdict passes when every member passes, with all their reasons."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from ragtune.exceptions import ConfigError
from ragtune.pipelines.guards.base import Guard
from ragtune.pipelines.records import Verdict
from ragtune.pipelines.stage import ParamStage, StageParams, stage_spec

__all__ = ["Guards", "GuardsParams"]


class GuardsParams(StageParams):
    members: tuple[dict[str, Any], ...] = ()
    """The members' ``{"kind", "version", "params"}``, in order."""


class Guards(ParamStage[GuardsParams]):
    """Runs ``guards`` in order on the same answer and context and merges their verdicts."""

    kind: ClassVar[str] = "guards"
    version: ClassVar[str] = "1"
    Params: ClassVar[type[StageParams]] = GuardsParams

    def __init__(self, guards: Iterable[Guard]) -> None:
        members = list(guards)
        for i, guard in enumerate(members):
            if not isinstance(guard, Guard):
                raise ConfigError(
                    f"Guards: every member must have kind, version, params and check(), but got guards[{i}]={guard!r}"
                )
        super().__init__(members=tuple(stage_spec(g) for g in members))
        self.guards: tuple[Guard, ...] = tuple(members)

    def check(self, *, question: str, answer: str | None, context: Sequence[str]) -> Verdict:
        verdicts = [g.check(question=question, answer=answer, context=context) for g in self.guards]
        return Verdict(all(v.passed for v in verdicts), tuple(r for v in verdicts for r in v.reasons))

"""The one way to name a study's objectives (for tables, JSON, plots and the TUI)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ragtune.core.directions import StudyDirection

if TYPE_CHECKING:
    from ragtune.core.study import Study

__all__ = ["objective_names", "study_objective_names"]

_DIRECTION_SUFFIXES = (":max", ":min")


def objective_names(directions: Sequence[StudyDirection], user_attrs: Mapping[str, Any]) -> tuple[str, ...]:
    """Names of a study's objectives: its ``"objectives"`` user attr when it fits, else ``values_0``, ...

    A direction suffix on a stored name is dropped (``"ndcg@10:max"`` -> ``"ndcg@10"``); other colons
    stay (``"judge:faithfulness"``). Stored names that are empty, repeated or of the wrong count are
    not used.
    """
    stored = user_attrs.get("objectives")
    if isinstance(stored, list | tuple) and len(stored) == len(directions):
        names = tuple(_strip_direction(str(n)) for n in stored)
        if len(set(names)) == len(names) and all(names):
            return names
    return tuple(f"values_{i}" for i in range(len(directions)))


def study_objective_names(study: Study) -> tuple[str, ...]:
    """``study.metric_names`` when set (one per direction), else :func:`objective_names` of the study."""
    named = getattr(study, "metric_names", None)
    if isinstance(named, list | tuple) and len(named) == len(study.directions) and all(named):
        return tuple(str(n) for n in named)
    return objective_names(study.directions, study.user_attrs)


def _strip_direction(name: str) -> str:
    lowered = name.lower()
    for suffix in _DIRECTION_SUFFIXES:
        if lowered.endswith(suffix):
            return name[: -len(suffix)]
    return name

"""The one way to name a study's objectives (for tables, JSON, plots and the TUI).

Names come from ``Study.set_metric_names`` (stored as the study system attr
``ragtune:metric_names``; the Tuner and ``ragtune optimize`` set them); without them the objectives
are ``values_0``, ``values_1``, ... Schema-1 files named objectives in an ``"objectives"`` user attr;
opening such a file migrates that to metric names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ragtune.core.directions import StudyDirection
from ragtune.core.metric_names import stored_metric_names

if TYPE_CHECKING:
    from ragtune.core.study import Study

__all__ = ["objective_names", "study_objective_names"]

_DIRECTION_SUFFIXES = (":max", ":min")


def objective_names(directions: Sequence[StudyDirection], system_attrs: Mapping[str, Any]) -> tuple[str, ...]:
    """Names of a study's objectives: its metric names when they fit, else ``values_0``, ...

    A direction suffix on a stored name is dropped (``"ndcg@10:max"`` -> ``"ndcg@10"``); other colons
    stay (``"judge:faithfulness"``). Stored names that are empty, repeated or of the wrong count are
    not used.
    """
    stored = stored_metric_names(system_attrs, len(directions))
    if stored is not None:
        names = tuple(_strip_direction(n) for n in stored)
        if len(set(names)) == len(names) and all(names):
            return names
    return tuple(f"values_{i}" for i in range(len(directions)))


def study_objective_names(study: Study) -> tuple[str, ...]:
    """:func:`objective_names` of a study."""
    return objective_names(study.directions, study.system_attrs)


def _strip_direction(name: str) -> str:
    lowered = name.lower()
    for suffix in _DIRECTION_SUFFIXES:
        if lowered.endswith(suffix):
            return name[: -len(suffix)]
    return name

"""Names of a study's objectives (``Study.set_metric_names``), stored as a study system attr."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ragtune.exceptions import ValidationError

#: Study system attr holding the objective names, one per direction.
METRIC_NAMES_ATTR = "ragtune:metric_names"


def check_metric_names(metric_names: Sequence[str], n_objectives: int) -> list[str]:
    """Validate names for a study with ``n_objectives`` objectives and return them as a list."""
    if isinstance(metric_names, str) or not isinstance(metric_names, Sequence):
        raise ValidationError(
            f"metric_names must be a list of strings, one per objective, but got {metric_names!r}"
        )
    names = list(metric_names)
    if len(names) != n_objectives:
        raise ValidationError(
            f"the study has {n_objectives} objectives, but {len(names)} metric names were given: {names}; "
            "give one name per objective"
        )
    if not all(isinstance(n, str) and n for n in names) or len(set(names)) != len(names):
        raise ValidationError(f"metric names must be distinct non-empty strings, but got {names}")
    return names


def stored_metric_names(system_attrs: Mapping[str, Any], n_objectives: int) -> list[str] | None:
    """The names stored with ``set_metric_names`` when they fit ``n_objectives``, else ``None``."""
    stored = system_attrs.get(METRIC_NAMES_ATTR)
    if (
        isinstance(stored, list | tuple)
        and len(stored) == n_objectives
        and all(isinstance(n, str) for n in stored)
    ):
        return [str(n) for n in stored]
    return None

"""Study directions and the one place where objective values become minimisation losses."""

from __future__ import annotations

import enum
from collections.abc import Sequence

import numpy as np

from ragtune.exceptions import DirectionError


class StudyDirection(enum.IntEnum):
    """Whether an objective is minimised or maximised; values and printing follow Optuna's enum.

    ``label`` is the lower-case word (``"minimize"``) that ragtune writes to storage, JSON and tables.
    """

    MINIMIZE = 1
    MAXIMIZE = 2

    @property
    def label(self) -> str:
        return self.name.lower()


def parse_direction(direction: str | StudyDirection) -> StudyDirection:
    """Turn ``"minimize"``/``"maximize"`` (any case) into a :class:`StudyDirection`."""
    if isinstance(direction, StudyDirection):
        return direction
    if isinstance(direction, str):
        key = direction.strip().lower()
        for member in StudyDirection:
            if key in (member.label, member.label[:3]):
                return member
    raise DirectionError(
        f"direction must be 'minimize' or 'maximize', but got {direction!r}; "
        "fix the direction string (e.g. directions=['maximize', 'minimize'])"
    )


def parse_directions(
    direction: str | StudyDirection | None, directions: Sequence[str | StudyDirection] | None
) -> tuple[StudyDirection, ...]:
    """Resolve the ``direction=`` / ``directions=`` pair of :func:`ragtune.create_study`."""
    if direction is not None and directions is not None:
        raise DirectionError("pass either direction= or directions=, not both")
    if directions is not None:
        if isinstance(directions, str) or len(directions) == 0:
            raise DirectionError(
                f"directions must be a non-empty list such as ['maximize', 'minimize'], but got {directions!r}"
            )
        return tuple(parse_direction(d) for d in directions)
    return (parse_direction(direction if direction is not None else "minimize"),)


def loss_signs(directions: Sequence[StudyDirection]) -> np.ndarray:
    """+1 for minimised objectives, -1 for maximised ones."""
    return np.array([1.0 if d is StudyDirection.MINIMIZE else -1.0 for d in directions])


def to_loss(values: np.ndarray, directions: Sequence[StudyDirection]) -> np.ndarray:
    """Convert an ``(n, m)`` array of objective values to losses (every column minimised)."""
    out: np.ndarray = np.asarray(values, dtype=float) * loss_signs(directions)
    return out

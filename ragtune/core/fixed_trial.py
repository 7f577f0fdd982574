"""``FixedTrial``: replay fixed parameters through an objective or pipeline function, without a study."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from ragtune.core.distributions import AnyDistribution
from ragtune.core.trial import Trial, as_value_tuple
from ragtune.exceptions import DistributionConflictError, ValidationError


class FixedTrial(Trial):
    """Replays fixed parameters through the same objective code, without a study.

    ``FixedTrial({"chunk_size": 512, "retriever": "bm25"})`` returns those values from the
    matching ``suggest_*`` calls; a value outside the suggested range or a missing one is an error.
    It is a :class:`Trial` for type checkers (``def pipeline(trial: rt.Trial)`` accepts it); it has
    no study, so ``report`` only records and ``should_prune`` is always ``False``.
    """

    def __init__(self, params: dict[str, Any], number: int = 0) -> None:  # no study: no super().__init__
        self._fixed = dict(params)
        self.number = number
        self._params: dict[str, Any] = {}
        self._dists: dict[str, AnyDistribution] = {}
        self._user_attrs: dict[str, Any] = {}
        self._system_attrs: dict[str, Any] = {}
        self._constraint_values: dict[str, float] = {}
        self.intermediate_values: dict[int, float | tuple[float, ...]] = {}
        self.datetime_start = dt.datetime.now()

    @property
    def trial_id(self) -> int:
        return -1

    def _suggest(self, name: str, distribution: AnyDistribution) -> Any:
        if name not in self._fixed:
            raise ValidationError(
                f"FixedTrial has no value for {name!r}; known: {sorted(self._fixed)}; add it to the params"
            )
        value = self._fixed[name]
        if not distribution.contains(value):
            raise ValidationError(
                f"FixedTrial value {name}={value!r} is outside {distribution.describe()}; fix the value"
            )
        old = self._dists.get(name)
        if old is not None and old != distribution:
            raise DistributionConflictError(
                f"parameter {name!r} was already suggested as {old.describe()}, now as {distribution.describe()}"
            )
        self._params[name] = value
        self._dists[name] = distribution
        return value

    def report(
        self, value: float | Sequence[float], step: int, *, scores: Sequence[Sequence[float]] | None = None
    ) -> None:
        vector = as_value_tuple(value, what="reported values")
        self.intermediate_values[int(step)] = vector[0] if len(vector) == 1 else vector

    def should_prune(self) -> bool:
        return False

    def set_user_attr(self, key: str, value: Any) -> None:
        self._user_attrs[key] = value

    def set_system_attr(self, key: str, value: Any) -> None:
        self._system_attrs[key] = value

    def set_constraint(self, key: str | float | Sequence[float], value: float | None = None) -> None:
        self._merge_constraint(key, value)

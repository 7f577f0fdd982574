"""The define-by-run trial handed to objectives: suggest knobs, report progress, prune."""

from __future__ import annotations

import datetime as dt
import math
import numbers
import warnings
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ragtune.core.distributions import (
    AnyDistribution,
    CategoricalChoice,
    CategoricalDistribution,
    categorical_distribution,
    check_compatible,
    float_distribution,
    int_distribution,
)
from ragtune.core.frozen_trial import CONSTRAINT_NAMES_ATTR
from ragtune.core.trials_view import TrialsView
from ragtune.exceptions import DistributionConflictError, ObjectiveValueError, ValidationError

if TYPE_CHECKING:
    from ragtune.core.study import Study


def as_value_tuple(value: float | Sequence[float], *, what: str) -> tuple[float, ...]:
    """Validate one number or a vector of numbers (finite) and return it as a tuple of floats."""
    seq = value if isinstance(value, Sequence) and not isinstance(value, str) else (value,)
    out: list[float] = []
    for v in seq:
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise ObjectiveValueError(f"{what} must be numbers, but got {v!r} ({type(v).__name__})")
        f = float(v)
        if not math.isfinite(f):
            raise ObjectiveValueError(f"{what} must be finite, but got {f}")
        out.append(f)
    if not out:
        raise ObjectiveValueError(f"{what} must not be empty")
    return tuple(out)


class BaseTrial(ABC):
    """What an objective may call on a trial: :class:`Trial` (inside a study) and :class:`FixedTrial`.

    Annotate objectives and pipeline functions with ``rt.Trial``: :class:`FixedTrial` is a
    :class:`Trial` too, so the same function type-checks with both, as with Optuna's ``BaseTrial``.
    """

    number: int

    @abstractmethod
    def _suggest(self, name: str, distribution: AnyDistribution) -> Any: ...

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        """A float in ``[low, high]`` (log-uniform with ``log=True``, on a grid with ``step``)."""
        return float(self._suggest(name, float_distribution(float(low), float(high), step, log)))

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False) -> int:
        """An int in ``[low, high]`` on a grid of ``step`` (log-scaled with ``log=True``)."""
        for arg, v in (("low", low), ("high", high), ("step", step)):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral):
                raise ValidationError(f"suggest_int({name!r}): {arg} must be an int, but got {v!r}")
        return int(self._suggest(name, int_distribution(int(low), int(high), int(step), log)))

    def suggest_categorical(self, name: str, choices: Sequence[CategoricalChoice]) -> Any:
        """One of ``choices`` (None, bool, int, float or str)."""
        return self._suggest(name, categorical_distribution(choices))

    @abstractmethod
    def report(
        self, value: float | Sequence[float], step: int, *, scores: Sequence[Sequence[float]] | None = None
    ) -> None: ...

    @abstractmethod
    def should_prune(self) -> bool: ...

    @abstractmethod
    def set_user_attr(self, key: str, value: Any) -> None: ...

    @abstractmethod
    def set_system_attr(self, key: str, value: Any) -> None: ...

    @abstractmethod
    def set_constraint(self, key: str | float | Sequence[float], value: float | None = None) -> None: ...

    @property
    @abstractmethod
    def params(self) -> dict[str, Any]: ...

    @property
    @abstractmethod
    def distributions(self) -> dict[str, AnyDistribution]: ...

    @property
    @abstractmethod
    def user_attrs(self) -> dict[str, Any]: ...

    @property
    @abstractmethod
    def system_attrs(self) -> dict[str, Any]: ...

    @property
    def constraints(self) -> dict[str, float]:
        """Constraint values by name, as Optuna 5's ``Trial.constraints``; feasible when all ``<= 0``."""
        return dict(self._constraint_values)

    _constraint_values: dict[str, float]

    def _merge_constraint(self, key: str | float | Sequence[float], value: float | None) -> None:
        """Optuna 5's ``set_constraint(key, value)``, or ragtune's ``set_constraint(values)`` (a vector)."""
        if isinstance(key, str):
            if value is None:
                raise ValidationError(
                    f"set_constraint({key!r}) needs a value: set_constraint(name, value), feasible when <= 0"
                )
            (v,) = as_value_tuple(value, what=f"constraint {key!r}")
            self._constraint_values[key] = v
            return
        if value is not None:
            raise ValidationError(
                "set_constraint takes (name, value) or one vector of values, but got a vector and a value"
            )
        vector = as_value_tuple(key, what="constraint values")
        self._constraint_values = {str(i): v for i, v in enumerate(vector)}


class Trial(BaseTrial):
    """One evaluation of the objective inside a :class:`~ragtune.core.study.Study`."""

    def __init__(
        self,
        study: Study,
        trial_id: int,
        number: int,
        view: TrialsView,
        *,
        fixed_params: dict[str, Any] | None = None,
        datetime_start: dt.datetime | None = None,
    ) -> None:
        self.study = study
        self._storage = study.storage
        self._trial_id = trial_id
        self.number = number
        self._view = view
        self._fixed = dict(fixed_params or {})
        self._params: dict[str, Any] = {}
        self._dists: dict[str, AnyDistribution] = {}
        self._user_attrs: dict[str, Any] = {}
        self._system_attrs: dict[str, Any] = {}
        self._steps: set[int] = set()
        self._constraint_values: dict[str, float] = {}
        self._relative: dict[str, Any] = {}
        self.datetime_start = datetime_start or dt.datetime.now()
        sampler = study.sampler
        space = sampler.infer_relative_search_space(view, self)
        self._relative_space = space
        self._relative = sampler.sample_relative(view, self, space)

    @property
    def trial_id(self) -> int:
        return self._trial_id

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._params)

    @property
    def distributions(self) -> dict[str, AnyDistribution]:
        return dict(self._dists)

    @property
    def user_attrs(self) -> dict[str, Any]:
        return dict(self._user_attrs)

    @property
    def system_attrs(self) -> dict[str, Any]:
        return dict(self._system_attrs)

    def _suggest(self, name: str, distribution: AnyDistribution) -> Any:
        old = self._dists.get(name)
        if old is not None:
            if old == distribution:
                return self._params[name]
            raise DistributionConflictError(
                f"parameter {name!r} was already suggested in this trial as {old.describe()}, "
                f"now as {distribution.describe()}; suggest each name once per trial or use another name"
            )
        known = self._view.distributions.get(name)
        if known is not None:
            check_compatible(name, known, distribution)
        if name in self._fixed and distribution.contains(self._fixed[name]):
            value = self._fixed[name]
        elif name in self._fixed:
            warnings.warn(
                f"enqueued value {self._fixed[name]!r} for {name!r} is outside {distribution.describe()}; "
                "sampling instead",
                stacklevel=3,
            )
            value = self.study.sampler.sample_independent(self._view, self, name, distribution)
        elif distribution.is_single():
            value = distribution.to_external(
                0.0 if isinstance(distribution, CategoricalDistribution) else distribution.low
            )
        elif name in self._relative and distribution.contains(self._relative[name]):
            value = self._relative[name]
        else:
            value = self.study.sampler.sample_independent(self._view, self, name, distribution)
        internal = distribution.to_internal(value)
        self._storage.set_trial_param(self._trial_id, name, internal, distribution)
        value = distribution.to_external(internal)
        self._params[name] = value
        self._dists[name] = distribution
        return value

    def report(
        self,
        value: float | Sequence[float],
        step: int,
        *,
        scores: Sequence[Sequence[float]] | None = None,
    ) -> None:
        """Record an intermediate value (or one value per objective) at ``step``.

        ``scores`` optionally holds per-question score rows seen so far (one column per
        reported value), which lets :class:`~ragtune.pruners.ParetoPruner` build confidence bounds.
        """
        if isinstance(step, bool) or not isinstance(step, numbers.Integral) or step < 0:
            raise ValidationError(f"step must be an int >= 0, but got step={step!r}")
        values = as_value_tuple(value, what="reported values")
        m = len(self.study.directions)
        if len(values) not in (1, m):
            raise ObjectiveValueError(
                f"report() got {len(values)} values, but the study has {m} objectives; report one "
                f"value or {m}"
            )
        if step in self._steps:
            warnings.warn(f"step {step} was already reported for trial {self.number}; ignored", stacklevel=2)
            return
        rows: tuple[tuple[float, ...], ...] | None = None
        if scores is not None:
            rows = tuple(tuple(float(x) for x in row) for row in scores)
            if any(len(r) != len(values) for r in rows):
                raise ObjectiveValueError(
                    f"each per-question score row must hold {len(values)} values (one per reported value)"
                )
        self._steps.add(int(step))
        self._storage.set_trial_intermediate_value(self._trial_id, int(step), values, rows)

    def should_prune(self) -> bool:
        """Ask the study's pruner whether this trial should stop now."""
        if not self._steps:
            return False
        return self.study.pruner.prune(self.study.trials_view(), self._storage.get_trial(self._trial_id))

    def set_user_attr(self, key: str, value: Any) -> None:
        self._storage.set_trial_user_attr(self._trial_id, key, value)
        self._user_attrs[key] = value

    def set_system_attr(self, key: str, value: Any) -> None:
        self._storage.set_trial_system_attr(self._trial_id, key, value)
        self._system_attrs[key] = value

    def set_constraint(self, key: str | float | Sequence[float], value: float | None = None) -> None:
        """Record a constraint: ``set_constraint("latency", ms - 200)`` (Optuna 5's form, one call per
        constraint) or ``set_constraint([v0, v1])`` (all at once). Feasible when every value is ``<= 0``.
        """
        names_before = list(self._constraint_values)
        self._merge_constraint(key, value)
        names = list(self._constraint_values)
        if isinstance(key, str) and names != names_before:
            self.set_system_attr(CONSTRAINT_NAMES_ATTR, names)
        self._storage.set_trial_constraints(self._trial_id, tuple(self._constraint_values.values()))

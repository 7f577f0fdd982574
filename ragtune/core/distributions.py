"""Search-space distributions: float, int and categorical, as frozen pydantic models.

Values a user sees are *external*; samplers work on an *internal* float representation
(the value itself for numbers, the choice index for categoricals).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Annotated, Any, ClassVar, Literal, TypeAlias

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from ragtune.exceptions import DistributionConflictError, DistributionError

CategoricalChoice: TypeAlias = None | bool | int | float | str

_STEP_TOLERANCE = 1e-8
_EXACT_INT = 2**53  # every integer up to this is exact as a float and as an int64


def _check_step_divides(low: float, high: float, step: float, name: str) -> None:
    n_steps = (high - low) / step
    if abs(n_steps - round(n_steps)) > _STEP_TOLERANCE * max(1.0, abs(n_steps)):
        raise DistributionError(
            f"{name}: step must divide high - low, but got low={low}, high={high}, step={step}; "
            f"use high={low + math.floor(n_steps) * step} or another step"
        )


class _Distribution(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    #: Field names positional arguments fill, in Optuna's order (``FloatDistribution(0.0, 1.0)``).
    _positional: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *args: Any, **data: Any) -> None:
        from pydantic import ValidationError as PydanticValidationError

        if len(args) > len(self._positional):
            raise DistributionError(
                f"{type(self).__name__} takes at most {len(self._positional)} positional arguments "
                f"({', '.join(self._positional)}), but got {len(args)}"
            )
        for name, value in zip(self._positional, args, strict=False):
            if name in data:
                raise DistributionError(f"{type(self).__name__} got {name!r} twice (by position and by name)")
            data[name] = value
        try:
            super().__init__(**data)
        except PydanticValidationError as e:
            # Surface our own one-line message instead of pydantic's multi-line report.
            for err in e.errors():
                inner = (err.get("ctx") or {}).get("error")
                if isinstance(inner, DistributionError):
                    raise inner from None
            first = e.errors()[0]
            where = ".".join(str(x) for x in first["loc"])
            raise DistributionError(
                f"{type(self).__name__}: {where} {first['msg'].lower()}, but got {first['input']!r}"
            ) from None

    def to_json(self) -> str:
        return self.model_dump_json()

    def describe(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.model_dump().items() if k != "kind")
        return f"{type(self).__name__}({fields})"


class FloatDistribution(_Distribution):
    """A real number in ``[low, high]``, optionally on a log scale or a grid of ``step``."""

    _positional: ClassVar[tuple[str, ...]] = ("low", "high", "log", "step")
    kind: Literal["float"] = "float"
    low: float
    high: float
    log: bool = False
    step: float | None = None

    @model_validator(mode="after")
    def _validate(self) -> FloatDistribution:
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise DistributionError(f"low and high must be finite, but got low={self.low}, high={self.high}")
        if self.low > self.high:
            raise DistributionError(
                f"low must be <= high, but got low={self.low}, high={self.high}; swap them"
            )
        if self.log and self.low <= 0:
            raise DistributionError(
                f"log=True needs low > 0, but got low={self.low}; raise low or drop log=True"
            )
        if self.step is not None:
            if self.log:
                raise DistributionError("step and log=True cannot be used together; drop one of them")
            if self.step <= 0:
                raise DistributionError(f"step must be > 0, but got step={self.step}")
            _check_step_divides(self.low, self.high, self.step, "FloatDistribution")
        return self

    def contains(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        v = float(value)
        if not (self.low <= v <= self.high):
            return False
        if self.step is not None:
            k = (v - self.low) / self.step
            return abs(k - round(k)) <= 1e-6
        return True

    def to_internal(self, value: Any) -> float:
        return float(value)

    def to_external(self, internal: float) -> float:
        v = min(max(float(internal), self.low), self.high)
        if self.step is not None:
            v = self.low + round((v - self.low) / self.step) * self.step
            v = min(v, self.high)
        return v

    def to_external_many(self, internals: NDArray[np.float64]) -> list[float]:
        """``[to_external(v) for v in internals]``, for a column of stored values at once."""
        v = np.minimum(np.maximum(internals, self.low), self.high)
        if self.step is not None:
            v = np.minimum(self.low + np.round((v - self.low) / self.step) * self.step, self.high)
        out: list[float] = v.tolist()
        return out

    def is_single(self) -> bool:
        return self.low == self.high


class IntDistribution(_Distribution):
    """An integer in ``[low, high]`` on a grid of ``step``, optionally log-scaled (step 1 only)."""

    _positional: ClassVar[tuple[str, ...]] = ("low", "high", "log", "step")
    kind: Literal["int"] = "int"
    low: int
    high: int
    log: bool = False
    step: int = 1

    @model_validator(mode="after")
    def _validate(self) -> IntDistribution:
        if self.low > self.high:
            raise DistributionError(
                f"low must be <= high, but got low={self.low}, high={self.high}; swap them"
            )
        if self.step <= 0:
            raise DistributionError(f"step must be >= 1, but got step={self.step}")
        if self.log:
            if self.low < 1:
                raise DistributionError(
                    f"log=True needs low >= 1, but got low={self.low}; raise low or drop log=True"
                )
            if self.step != 1:
                raise DistributionError("log=True needs step=1; drop step or log=True")
        _check_step_divides(self.low, self.high, self.step, "IntDistribution")
        return self

    def contains(self, value: Any) -> bool:
        if isinstance(value, bool):
            return False
        if isinstance(value, float):
            if not value.is_integer():
                return False
            value = int(value)
        if not isinstance(value, int):
            return False
        return self.low <= value <= self.high and (value - self.low) % self.step == 0

    def to_internal(self, value: Any) -> float:
        return float(value)

    def to_external(self, internal: float) -> int:
        v = min(max(float(internal), self.low), self.high)
        k = round((v - self.low) / self.step)
        return min(self.low + int(k) * self.step, self.high)

    def to_external_many(self, internals: NDArray[np.float64]) -> list[int]:
        """``[to_external(v) for v in internals]``, for a column of stored values at once."""
        if not np.isfinite(internals).all() or max(abs(self.low), abs(self.high)) > _EXACT_INT:
            # NaN has no integer (raise as to_external does); past 2**53 floats skip integers
            return [self.to_external(v) for v in internals.tolist()]
        v = np.minimum(np.maximum(internals, self.low), self.high)
        k = np.round((v - self.low) / self.step).astype(np.int64)
        out: list[int] = np.minimum(self.low + k * self.step, self.high).tolist()
        return out

    def is_single(self) -> bool:
        return self.low == self.high


class CategoricalDistribution(_Distribution):
    """One of a fixed tuple of choices (None, bool, int, float or str)."""

    _positional: ClassVar[tuple[str, ...]] = ("choices",)
    kind: Literal["categorical"] = "categorical"
    choices: tuple[CategoricalChoice, ...]

    @model_validator(mode="after")
    def _validate(self) -> CategoricalDistribution:
        if len(self.choices) == 0:
            raise DistributionError("choices must not be empty; pass at least one choice")
        seen: set[tuple[str, Any]] = set()
        for c in self.choices:
            key = (type(c).__name__, c)
            if key in seen:
                raise DistributionError(
                    f"choices must be unique, but {c!r} appears twice in {self.choices!r}"
                )
            seen.add(key)
        return self

    def index(self, value: Any) -> int:
        for i, c in enumerate(self.choices):
            if type(c) is type(value) and c == value:
                return i
        for i, c in enumerate(self.choices):
            if c == value and not isinstance(c, bool) and not isinstance(value, bool):
                return i
        raise DistributionError(f"{value!r} is not one of the choices {self.choices!r}")

    def contains(self, value: Any) -> bool:
        try:
            self.index(value)
        except DistributionError:
            return False
        return True

    def to_internal(self, value: Any) -> float:
        return float(self.index(value))

    def to_external(self, internal: float) -> CategoricalChoice:
        return self.choices[int(internal)]

    def to_external_many(self, internals: NDArray[np.float64]) -> list[CategoricalChoice]:
        """``[to_external(v) for v in internals]``, for a column of stored values at once."""
        return [self.choices[i] for i in map(int, internals.tolist())]

    def is_single(self) -> bool:
        return len(self.choices) == 1


Distribution: TypeAlias = Annotated[
    FloatDistribution | IntDistribution | CategoricalDistribution, Field(discriminator="kind")
]
_ADAPTER: TypeAdapter[FloatDistribution | IntDistribution | CategoricalDistribution] = TypeAdapter(
    Distribution
)
AnyDistribution: TypeAlias = FloatDistribution | IntDistribution | CategoricalDistribution


def distribution_from_json(text: str | bytes) -> AnyDistribution:
    """Inverse of ``distribution.to_json()``."""
    return _ADAPTER.validate_json(text)


def distribution_from_dict(data: dict[str, Any]) -> AnyDistribution:
    return _ADAPTER.validate_python(data)


@lru_cache(maxsize=4096)
def float_distribution(low: float, high: float, step: float | None, log: bool) -> FloatDistribution:
    """Cached constructor: suggest calls build the same distribution thousands of times."""
    return FloatDistribution(low=low, high=high, step=step, log=log)


@lru_cache(maxsize=4096)
def int_distribution(low: int, high: int, step: int, log: bool) -> IntDistribution:
    return IntDistribution(low=low, high=high, step=step, log=log)


def categorical_distribution(choices: Sequence[CategoricalChoice]) -> CategoricalDistribution:
    try:
        # Keyed by (type, value): (0, 1), (False, True) and (0.0, 1.0) compare equal but differ.
        return _categorical_cached(tuple((type(c), c) for c in choices))
    except TypeError as e:  # unhashable choice
        raise DistributionError(
            f"choices must be None, bool, int, float or str, but got {list(choices)!r}"
        ) from e


@lru_cache(maxsize=4096)
def _categorical_cached(typed: tuple[tuple[type, CategoricalChoice], ...]) -> CategoricalDistribution:
    return CategoricalDistribution(choices=tuple(c for _, c in typed))


def check_compatible(name: str, old: AnyDistribution, new: AnyDistribution) -> None:
    """Across trials a name may change its range, never its type or its choices."""
    if old.kind != new.kind or (
        isinstance(old, CategoricalDistribution)
        and isinstance(new, CategoricalDistribution)
        and old.choices != new.choices
    ):
        raise DistributionConflictError(
            f"parameter {name!r} was suggested as {old.describe()} and now as {new.describe()}; "
            "use one type and one set of choices per name (or a different name)"
        )


def distribution_to_json_dict(dist: AnyDistribution) -> dict[str, Any]:
    return json.loads(dist.to_json())  # type: ignore[no-any-return]

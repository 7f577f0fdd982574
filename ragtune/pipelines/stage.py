"""The stage protocol every pipeline step follows, and a small base that makes built-in stages concise.

A stage is any object with a stable ``kind``, a ``version`` and validated ``params`` (a frozen pydantic
model whose ``model_dump(mode="json")`` is the canonical form used in cache keys and stored configs).
User stages need no inheritance: they satisfy :class:`Stage` structurally. :class:`ParamStage` is an
optional convenience that validates keyword arguments into its ``Params`` model and turns a pydantic
error into a one-line :class:`~ragtune.exceptions.ConfigError` ("Window: overlap must be < size, but got
overlap=600, size=512").
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Generic, Protocol, TypeVar, runtime_checkable

import pydantic
from pydantic import BaseModel, ConfigDict

from ragtune.exceptions import ConfigError, RagtuneError, StageError

__all__ = ["ParamStage", "Stage", "StageParams", "run_stage", "stage_spec", "validate_params"]

T = TypeVar("T")


@runtime_checkable
class Stage(Protocol):
    """What every pipeline stage has: identity (``kind``, ``version``) and canonical ``params``."""

    @property
    def kind(self) -> str:
        """Stable name of the stage type; part of every cache key."""
        ...

    @property
    def version(self) -> str:
        """Bump when the stage's output changes for the same params; part of every cache key."""
        ...

    @property
    def params(self) -> BaseModel:
        """Validated, frozen parameters."""
        ...


class StageParams(BaseModel):
    """Base for stage parameter models: frozen, unknown fields rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


P = TypeVar("P", bound=StageParams)

_RULES: dict[str, str] = {
    "greater_than": "must be > {gt}",
    "greater_than_equal": "must be >= {ge}",
    "less_than": "must be < {lt}",
    "less_than_equal": "must be <= {le}",
    "string_too_short": "must have at least {min_length} characters",
    "too_short": "must have at least {min_length} items",
    "literal_error": "must be {expected}",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be a boolean",
    "bool_parsing": "must be a boolean",
    "string_type": "must be a string",
    "extra_forbidden": "is not a parameter of this stage",
    "missing": "is required",
}


def _describe(error: Mapping[str, Any]) -> str:
    """One pydantic error as "param rule, but got param=value"."""
    loc = ".".join(str(part) for part in error.get("loc", ()))
    kind = str(error.get("type", ""))
    if kind == "value_error":
        # Cross-field rules raise ValueError("overlap must be < size, but got ...") themselves.
        message = str(error.get("msg", ""))
        return message.removeprefix("Value error, ")
    template = _RULES.get(kind)
    context = dict(error.get("ctx") or {})
    rule = template.format(**context) if template else str(error.get("msg", "is invalid")).lower()
    if kind in ("missing",):
        return f"{loc} {rule}"
    return f"{loc} {rule}, but got {loc}={error.get('input')!r}"


def validate_params(stage_name: str, model: type[P], values: Mapping[str, Any]) -> P:
    """Build ``model`` from ``values`` or raise a one-line ConfigError naming stage, param, rule and value."""
    try:
        return model(**values)
    except pydantic.ValidationError as e:
        details = "; ".join(_describe(err) for err in e.errors())
        raise ConfigError(f"{stage_name}: {details}") from None


def stage_spec(stage: Stage) -> dict[str, Any]:
    """The storable description of a stage: ``{"kind", "version", "params"}`` with JSON params."""
    return {
        "kind": stage.kind,
        "version": stage.version,
        "params": stage.params.model_dump(mode="json"),
    }


class ParamStage(Generic[P]):
    """Optional base for stages: validated ``params`` from keyword arguments, repr and equality.

    Subclasses set ``kind``, ``version`` and ``Params`` (a :class:`StageParams` subclass) and call
    ``super().__init__(**values)``.
    """

    kind: ClassVar[str]
    version: ClassVar[str]
    Params: ClassVar[type[StageParams]]

    params: P

    def __init__(self, **values: Any) -> None:
        self.params = validate_params(type(self).__name__, self.Params, values)  # type: ignore[assignment]

    def __repr__(self) -> str:
        args = ", ".join(f"{name}={value!r}" for name, value in self.params)
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ParamStage):
            return NotImplemented
        return (type(self), self.version, self.params) == (type(other), other.version, other.params)

    def __hash__(self) -> int:
        # Via canonical JSON: params may hold lists or dicts, which are not hashable.
        canonical = json.dumps(self.params.model_dump(mode="json"), sort_keys=True)
        return hash((type(self), self.version, canonical))


def run_stage(stage: Stage, role: str, run: Callable[[], T]) -> T:
    """Run one call of a stage, turning an error from user code into a :class:`StageError` that names
    the stage and the call (``"bm25: build failed: ValueError: ..."``); ragtune's own errors pass."""
    try:
        return run()
    except RagtuneError:
        raise
    except Exception as e:
        raise StageError(f"{stage.kind}: {role} failed: {type(e).__name__}: {e}") from e

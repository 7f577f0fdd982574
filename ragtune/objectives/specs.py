"""Objective specs (``"ndcg@10:max"``) and constraint expressions (``"latency_p95_ms <= 200"``).

Grammar, case-insensitive, whitespace around the parts allowed::

    objective  := metric [":" direction]          direction := max | maximize | min | minimize
    metric     := name | name "@" k               k := positive integer, only for retrieval metrics
    constraint := metric op number                op := "<=" | ">=" | "<" | ">" (also "≤", "≥")

The metric names and their default directions are in :data:`ragtune.objectives.catalogue.METRICS`.
"""

from __future__ import annotations

import difflib
import math
import numbers
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, TypeAlias

from ragtune.exceptions import ConfigError
from ragtune.objectives.catalogue import METRICS, Direction, MetricInfo, MetricKind, metric_display_names

__all__ = [
    "Constraint",
    "ConstraintOp",
    "Objective",
    "parse_constraint",
    "parse_constraints",
    "parse_objective",
    "parse_objectives",
]

ConstraintOp: TypeAlias = Literal["<=", ">=", "<", ">"]

_DIRECTIONS: dict[str, Direction] = {
    "max": "maximize",
    "maximize": "maximize",
    "maximise": "maximize",
    "min": "minimize",
    "minimize": "minimize",
    "minimise": "minimize",
}
_METRIC = re.compile(r"(?P<name>[a-z][a-z0-9_]*)(?:@(?P<k>[^\s@]*))?")
_CONSTRAINT = re.compile(r"\s*(?P<metric>\S+?)\s*(?P<op><=|>=|<|>|≤|≥)\s*(?P<bound>\S+)\s*")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_CUTOFF = re.compile(r"[0-9]{1,9}")
_UNICODE_OPS: dict[str, ConstraintOp] = {"≤": "<=", "≥": ">="}
_CONSTRAINT_FORM = (
    "expected '<metric> <op> <number>' with op one of <=, >=, <, > (e.g. 'latency_p95_ms <= 200')"
)


def _valid_names() -> str:
    return ", ".join(metric_display_names())


def _suggestion(text: str, k: str | None) -> str:
    cutoff = k if k is not None and _CUTOFF.fullmatch(k) and int(k) >= 1 else "10"
    candidates = [f"{info.name}@{cutoff}" if info.takes_k else info.name for info in METRICS.values()]
    close = difflib.get_close_matches(text, candidates, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'? " if close else "; "


def _parse_metric(text: str, *, what: str, whole: str) -> tuple[MetricInfo, int | None]:
    """Split ``"ndcg@10"`` into its catalogue entry and cutoff; ``what``/``whole`` word the errors."""
    key = text.strip().lower()
    match = _METRIC.fullmatch(key)
    info = METRICS.get(match["name"]) if match else None
    if match is None or info is None:
        hint = _suggestion(key, match["k"] if match else None)
        raise ConfigError(f"unknown {what} {text.strip()!r}{hint}valid: {_valid_names()}")
    k_text = match["k"]
    if not info.takes_k:
        if k_text is not None:
            raise ConfigError(f"{info.name} takes no cutoff, but got {whole!r}; write '{info.name}'")
        return info, None
    if k_text is None:
        raise ConfigError(
            f"{info.name} needs a cutoff k, but got {whole!r}; write for example '{info.name}@10'"
        )
    if _CUTOFF.fullmatch(k_text) is None or int(k_text) < 1:
        raise ConfigError(f"the cutoff k must be an integer >= 1, but got k={k_text!r} in {whole!r}")
    return info, int(k_text)


@dataclass(frozen=True, slots=True, init=False)
class Objective:
    """One thing a study optimises, computed by the evaluator from a trial's per-question results.

    Build it with :func:`parse_objective` from ``"ndcg@10:max"``, or directly:
    ``Objective("ndcg", k=10)``, ``Objective("ndcg@10")``, ``Objective("latency_p95_ms", direction="min")``.
    """

    metric: str
    """Catalogue name without the cutoff, lower-case (``"ndcg"``)."""
    k: int | None
    """Cutoff for retrieval metrics, ``None`` for the others."""
    direction: Direction
    """``"maximize"`` or ``"minimize"``; defaults to the metric's natural direction."""
    name: str
    """Canonical spec without direction (``"ndcg@10"``), the key under which values are stored."""
    per_question: bool
    """Whether the value is a mean of per-question scores (so a pruner can build confidence bounds)."""

    def __init__(self, metric: str, k: int | None = None, direction: str | None = None) -> None:
        if not isinstance(metric, str):
            raise ConfigError(f"metric must be a string such as 'ndcg', but got metric={metric!r}")
        whole = metric
        if k is not None:
            if isinstance(k, bool) or not isinstance(k, int):
                raise ConfigError(f"k must be an integer >= 1, but got k={k!r}")
            if "@" in metric:
                raise ConfigError(
                    f"give the cutoff once, in metric or in k, but got metric={metric!r}, k={k}"
                )
            whole = f"{metric}@{k}"
        info, cutoff = _parse_metric(whole, what="metric", whole=whole)
        object.__setattr__(self, "metric", info.name)
        object.__setattr__(self, "k", cutoff)
        object.__setattr__(self, "direction", _parse_direction(direction, info, whole=whole))
        object.__setattr__(self, "name", info.name if cutoff is None else f"{info.name}@{cutoff}")
        object.__setattr__(self, "per_question", info.per_question)

    @property
    def info(self) -> MetricInfo:
        """The catalogue entry: kind, unit scale, aggregation."""
        return METRICS[self.metric]

    @property
    def kind(self) -> MetricKind:
        """Which part of the pipeline produces the raw values (``"retrieval"``, ``"latency"``, ...)."""
        return METRICS[self.metric].kind

    def __str__(self) -> str:
        return f"{self.name}:{'max' if self.direction == 'maximize' else 'min'}"


def _parse_direction(direction: object, info: MetricInfo, *, whole: str) -> Direction:
    if direction is None:
        return info.direction
    resolved = _DIRECTIONS.get(direction.strip().lower()) if isinstance(direction, str) else None
    if resolved is None:
        raise ConfigError(
            "direction must be one of max, maximize, min, minimize, "
            f"but got {direction!r} in objective {whole!r}"
        )
    return resolved


def parse_objective(spec: str | Objective) -> Objective:
    """Parse ``"ndcg@10:max"``, ``"recall@5"`` or ``"latency_p95_ms:min"``; an Objective passes through."""
    if isinstance(spec, Objective):
        return spec
    if not isinstance(spec, str):
        raise ConfigError(
            f"an objective must be a string like 'ndcg@10:max' or an Objective, but got {spec!r}"
        )
    metric, sep, direction = spec.partition(":")
    info, k = _parse_metric(metric, what="objective", whole=spec)
    return Objective(info.name, k=k, direction=_parse_direction(direction if sep else None, info, whole=spec))


def parse_objectives(specs: Iterable[str | Objective]) -> tuple[Objective, ...]:
    """Parse several objectives; the same metric named twice is an error."""
    if isinstance(specs, str | Objective):
        specs = [specs]
    objectives = tuple(parse_objective(spec) for spec in specs)
    names = [objective.name for objective in objectives]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ConfigError(
            f"each objective must be named once, but got {', '.join(duplicates)} more than once"
        )
    if not objectives:
        raise ConfigError("objectives must name at least one metric, e.g. ['ndcg@10:max'], but got none")
    return objectives


@dataclass(frozen=True, slots=True)
class Constraint:
    """A bound on one metric, ``Constraint("latency_p95_ms", "<=", 200)``, feasible iff ``violation <= 0``."""

    metric: str
    """Canonical metric spec (``"ndcg@10"``); ``parse_objective(metric)`` tells how to compute it."""
    op: ConstraintOp
    bound: float

    def __post_init__(self) -> None:
        whole = f"{self.metric} {self.op} {self.bound}"
        if not isinstance(self.metric, str):
            raise ConfigError(f"a constraint's metric must be a string, but got metric={self.metric!r}")
        info, k = _parse_metric(self.metric, what="metric", whole=whole)
        op = _UNICODE_OPS.get(self.op, self.op) if isinstance(self.op, str) else self.op
        if op not in ("<=", ">=", "<", ">"):
            raise ConfigError(
                f"a constraint's op must be one of <=, >=, <, >, but got op={self.op!r} in {whole!r}"
            )
        bound = self.bound
        if isinstance(bound, bool) or not isinstance(bound, numbers.Real) or not math.isfinite(bound):
            raise ConfigError(
                f"a constraint's bound must be a finite number, but got bound={bound!r} in {whole!r}"
            )
        object.__setattr__(self, "metric", info.name if k is None else f"{info.name}@{k}")
        object.__setattr__(self, "op", op)
        object.__setattr__(self, "bound", float(bound))

    def violation(self, value: float) -> float:
        """How far ``value`` breaks the bound: > 0 when violated, <= 0 when satisfied (Optuna's convention).

        A strict bound ``x < b`` is treated as ``x <= nextafter(b, -inf)``, which is the same set of floats,
        so ``value == bound`` gives a positive (one-ulp) violation. A NaN value counts as violated (+inf).
        """
        if math.isnan(value):
            return math.inf
        if self.op == "<=":
            return value - self.bound
        if self.op == "<":
            return value - math.nextafter(self.bound, -math.inf)
        if self.op == ">=":
            return self.bound - value
        return math.nextafter(self.bound, math.inf) - value

    def is_satisfied(self, value: float) -> bool:
        """Whether ``value`` meets the bound."""
        return self.violation(value) <= 0.0

    def __str__(self) -> str:
        bound = repr(self.bound)
        return f"{self.metric} {self.op} {bound.removesuffix('.0')}"


def parse_constraint(spec: str | Constraint) -> Constraint:
    """Parse ``"latency_p95_ms <= 200"``; a Constraint passes through. Every error is a ConfigError."""
    if isinstance(spec, Constraint):
        return spec
    if not isinstance(spec, str):
        raise ConfigError(
            f"a constraint must be a string like 'latency_p95_ms <= 200' or a Constraint, but got {spec!r}"
        )
    match = _CONSTRAINT.fullmatch(spec)
    if match is None or _NUMBER.fullmatch(match["bound"]) is None:
        raise ConfigError(f"constraint {spec!r} is malformed; {_CONSTRAINT_FORM}")
    bound = float(match["bound"])
    if not math.isfinite(bound):
        raise ConfigError(f"constraint {spec!r} has a bound that is not a finite number; {_CONSTRAINT_FORM}")
    info, k = _parse_metric(match["metric"], what="metric", whole=spec)
    op = _UNICODE_OPS.get(match["op"], match["op"])
    return Constraint(info.name if k is None else f"{info.name}@{k}", op, bound)  # type: ignore[arg-type]


def parse_constraints(specs: Iterable[str | Constraint]) -> tuple[Constraint, ...]:
    """Parse several constraints (a single string is one constraint)."""
    if isinstance(specs, str | Constraint):
        specs = [specs]
    return tuple(parse_constraint(spec) for spec in specs)

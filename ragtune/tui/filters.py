"""Constraint filters the user types in the TUI (``latency_p95_ms <= 80, safety_pass_rate >= 0.99``).

Names are checked against the study's objectives and recorded metrics; catalogue spellings
(``NDCG@10``, ``≤``) are canonicalised with :func:`ragtune.objectives.specs.parse_constraint`.
Pure: no Textual import.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ragtune.exceptions import ConfigError
from ragtune.objectives.specs import ConstraintOp, parse_constraint

__all__ = ["Filter", "parse_filters", "parse_filters_partly"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def _bound_text(value: float) -> str:
    return f"{value:.6g}"


_FILTER = re.compile(r"\s*(?P<metric>[^\s<>=≤≥]+)\s*(?P<op><=|>=|<|>|≤|≥)\s*(?P<bound>\S+)\s*")
_SPLIT = re.compile(r"\s*(?:,|;|\band\b)\s*", re.IGNORECASE)
_OPS: dict[str, ConstraintOp] = {"<=": "<=", ">=": ">=", "<": "<", ">": ">", "≤": "<=", "≥": ">="}


@dataclass(frozen=True, slots=True)
class Filter:
    """A bound on one objective or metric, typed by the user (``latency_p95_ms <= 80``)."""

    metric: str
    op: ConstraintOp
    bound: float

    def mask(self, values: FloatArray) -> BoolArray:
        """Which values meet the bound; a missing (NaN) value never does."""
        with np.errstate(invalid="ignore"):
            out = {
                "<=": values <= self.bound,
                ">=": values >= self.bound,
                "<": values < self.bound,
                ">": values > self.bound,
            }[self.op]
        return np.asarray(out, dtype=bool)

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {_bound_text(self.bound)}"


def _parse_filter(text: str, known: Sequence[str]) -> Filter:
    match = _FILTER.fullmatch(text)
    if match is None:
        parse_constraint(text)  # raises the ConfigError that explains the expected form
        raise ConfigError(f"filter {text!r} is malformed; expected '<metric> <op> <number>'")
    try:
        bound = float(match["bound"])
    except ValueError:
        bound = math.nan
    if not math.isfinite(bound):
        raise ConfigError(f"filter {text.strip()!r} needs a finite number after {match['op']!r}")
    name, op = match["metric"], _OPS[match["op"]]
    lowered = {k.lower(): k for k in known}
    if name in known or name.lower() in lowered:
        return Filter(name if name in known else lowered[name.lower()], op, bound)
    canonical: str | None
    try:
        canonical = parse_constraint(f"{name} {op} {bound!r}").metric
    except ConfigError:
        canonical = None
    if canonical is not None and canonical in known:
        return Filter(canonical, op, bound)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise ConfigError(f"this study has no metric {name!r}; {hint}known: {', '.join(known) or 'none'}")


def parse_filters(text: str, known: Sequence[str]) -> tuple[Filter, ...]:
    """Parse ``"latency_p95_ms <= 80, safety_pass_rate >= 0.99"`` (``,``, ``;`` or ``and`` between).

    Every problem is a one-line :class:`~ragtune.exceptions.ConfigError` naming the bad part.
    """
    return tuple(_parse_filter(part, known) for part in _SPLIT.split(text) if part.strip())


def parse_filters_partly(text: str, known: Sequence[str]) -> tuple[tuple[Filter, ...], tuple[str, ...]]:
    """Like :func:`parse_filters`, but keeps the parts that parse and returns the errors of the others.

    Live filtering applies what is valid while the user types, and says what it left out.
    """
    filters: list[Filter] = []
    errors: list[str] = []
    for part in _SPLIT.split(text):
        if not part.strip():
            continue
        try:
            filters.append(_parse_filter(part, known))
        except ConfigError as e:
            errors.append(str(e))
    return tuple(filters), tuple(errors)

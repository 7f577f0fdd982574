"""Samplers: random, grid, quasi-Monte Carlo, TPE and NSGA-II."""

from __future__ import annotations

from typing import Any

from ragtune.samplers.base import Sampler
from ragtune.samplers.grid import GridSampler
from ragtune.samplers.qmc import QMCSampler
from ragtune.samplers.random_sampler import RandomSampler

__all__ = [
    "GridSampler",
    "NSGAIISampler",
    "QMCSampler",
    "RandomSampler",
    "Sampler",
    "TPESampler",
    "default_sampler",
]

_LAZY = {"TPESampler": "ragtune.samplers.tpe", "NSGAIISampler": "ragtune.samplers.nsga2"}


def default_sampler() -> Sampler:
    """The sampler a study uses when none is given: multivariate TPE."""
    import importlib

    try:
        tpe = importlib.import_module("ragtune.samplers.tpe")
    except ImportError:  # pragma: no cover - TPE ships with ragtune
        return RandomSampler()
    sampler: Sampler = tpe.TPESampler()
    return sampler


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ragtune.samplers' has no attribute {name!r}")

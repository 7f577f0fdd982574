"""Tree-structured Parzen estimator sampling (single- and multi-objective, multivariate by default)."""

from __future__ import annotations

from ragtune.samplers.tpe.sampler import TPESampler
from ragtune.samplers.tpe.split import default_gamma

__all__ = ["TPESampler", "default_gamma"]

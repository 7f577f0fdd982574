"""Pruners: stop weak trials early, with one or several objectives."""

from __future__ import annotations

from ragtune.pruners.base import NopPruner, Pruner
from ragtune.pruners.dominance import ParetoPruner
from ragtune.pruners.hyperband import HyperbandPruner
from ragtune.pruners.percentile import MedianPruner, PercentilePruner
from ragtune.pruners.successive_halving import SuccessiveHalvingPruner

__all__ = [
    "HyperbandPruner",
    "MedianPruner",
    "NopPruner",
    "ParetoPruner",
    "PercentilePruner",
    "Pruner",
    "SuccessiveHalvingPruner",
]

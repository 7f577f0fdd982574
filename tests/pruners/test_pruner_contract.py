"""Every built-in pruner passes the shipped contract (ragtune.testing.PrunerContract)."""

from __future__ import annotations

from ragtune.pruners import (
    HyperbandPruner,
    MedianPruner,
    NopPruner,
    ParetoPruner,
    PercentilePruner,
    Pruner,
    SuccessiveHalvingPruner,
)
from ragtune.testing import PrunerContract


class TestNopPruner(PrunerContract):
    def make_pruner(self, *, objective: int = 0) -> Pruner:
        return NopPruner()


class TestMedianPruner(PrunerContract):
    def make_pruner(self, *, objective: int = 0) -> Pruner:
        return MedianPruner(n_startup_trials=2, objective=objective)


class TestPercentilePruner(PrunerContract):
    def make_pruner(self, *, objective: int = 0) -> Pruner:
        return PercentilePruner(30.0, n_startup_trials=2, n_warmup_steps=1, objective=objective)


class TestSuccessiveHalvingPruner(PrunerContract):
    def make_pruner(self, *, objective: int = 0) -> Pruner:
        return SuccessiveHalvingPruner(min_resource=1, reduction_factor=3, objective=objective)


class TestSuccessiveHalvingPrunerAuto(PrunerContract):
    def make_pruner(self, *, objective: int = 0) -> Pruner:
        return SuccessiveHalvingPruner(min_resource="auto", reduction_factor=2, objective=objective)


class TestHyperbandPruner(PrunerContract):
    def make_pruner(self, *, objective: int = 0) -> Pruner:
        return HyperbandPruner(min_resource=1, max_resource=27, objective=objective)


class TestParetoPruner(PrunerContract):
    designated_objective = False

    def make_pruner(self, *, objective: int = 0) -> Pruner:
        return ParetoPruner(n_startup_trials=2, min_trials_at_rung=2)


class TestParetoPrunerWithRungs(PrunerContract):
    designated_objective = False

    def make_pruner(self, *, objective: int = 0) -> Pruner:
        return ParetoPruner(rungs=[3, 9], n_startup_trials=0, method="point")

"""Pruners: stop weak trials early, with one or several objectives."""

from __future__ import annotations

from ragtune.pruners.base import NopPruner, Pruner

__all__ = ["NopPruner", "Pruner"]

"""NSGA-II: constraint-dominated non-dominated sorting, crowding, SBX and polynomial mutation."""

from __future__ import annotations

from ragtune.samplers.nsga2.sampler import NSGAIISampler

__all__ = ["NSGAIISampler"]

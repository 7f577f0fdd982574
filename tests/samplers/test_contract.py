"""Every sampler passes the shipped SamplerContract; add a class here for each new sampler."""

from __future__ import annotations

from ragtune.samplers import GridSampler, QMCSampler, RandomSampler, Sampler
from ragtune.samplers.tpe import TPESampler
from ragtune.testing.sampler_contract import SamplerContract


class TestRandomSampler(SamplerContract):
    def make_sampler(self, seed: int) -> Sampler:
        return RandomSampler(seed=seed)


class TestGridSampler(SamplerContract):
    def make_sampler(self, seed: int) -> Sampler:
        return GridSampler(self.grid_space(), seed=seed)


class TestQMCSampler(SamplerContract):
    def make_sampler(self, seed: int) -> Sampler:
        return QMCSampler(seed=seed)


class TestTPESamplerMultivariate(SamplerContract):
    def make_sampler(self, seed: int) -> Sampler:
        return TPESampler(seed=seed)


class TestTPESamplerUnivariate(SamplerContract):
    def make_sampler(self, seed: int) -> Sampler:
        return TPESampler(seed=seed, multivariate=False)

"""The sampler contract: joint ("relative") sampling at trial start, per-parameter otherwise."""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ragtune.core.distributions import AnyDistribution
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trials_view import TrialsView

if TYPE_CHECKING:
    from ragtune.core.trial import Trial


def make_rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    """One way to turn ``seed=`` into a generator; never the global numpy RNG."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


class Sampler(abc.ABC):
    """Suggests parameter values.

    For each trial the study calls, in order: :meth:`infer_relative_search_space` and
    :meth:`sample_relative` once when the trial starts (joint sampling over parameters seen
    before), then :meth:`sample_independent` for every suggested parameter the joint step did not
    cover, and :meth:`after_trial` when the trial finished. Samplers read history only through
    the :class:`TrialsView` they are given (arrays; running trials included, the current one not).
    Returned values are external (what ``suggest_*`` returns) and must lie in the distribution.
    """

    def infer_relative_search_space(self, view: TrialsView, trial: Trial) -> dict[str, AnyDistribution]:
        return {}

    def sample_relative(
        self, view: TrialsView, trial: Trial, search_space: Mapping[str, AnyDistribution]
    ) -> dict[str, Any]:
        return {}

    @abc.abstractmethod
    def sample_independent(
        self, view: TrialsView, trial: Trial, name: str, distribution: AnyDistribution
    ) -> Any:
        """Sample one parameter value from ``distribution``."""

    def after_trial(self, view: TrialsView, trial: FrozenTrial) -> None:
        """Hook called once a trial has finished (any state)."""

    def reseed_rng(self, seed: int | None = None) -> None:
        """Give the sampler a fresh generator (used when workers fork)."""

"""The optimisation core: distributions, trials, studies, Pareto tools."""

from __future__ import annotations

from ragtune.core.callbacks import MaxTrialsCallback
from ragtune.core.directions import StudyDirection
from ragtune.core.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    distribution_from_json,
)
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.study import Study, create_study, delete_study, load_study
from ragtune.core.trial import FixedTrial, Trial
from ragtune.core.trial_state import TrialState
from ragtune.core.trials_view import TrialsView

__all__ = [
    "CategoricalDistribution",
    "FixedTrial",
    "FloatDistribution",
    "FrozenTrial",
    "IntDistribution",
    "MaxTrialsCallback",
    "Study",
    "StudyDirection",
    "Trial",
    "TrialState",
    "TrialsView",
    "create_study",
    "delete_study",
    "distribution_from_json",
    "load_study",
]

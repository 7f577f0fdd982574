"""The optimisation core: distributions, trials, studies, Pareto tools."""

from __future__ import annotations

from ragtune.core.callbacks import MaxTrialsCallback
from ragtune.core.create_trial import create_trial
from ragtune.core.directions import StudyDirection
from ragtune.core.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    distribution_from_json,
)
from ragtune.core.fixed_trial import FixedTrial
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.study import Study, create_study, delete_study, load_study
from ragtune.core.study_admin import copy_study, get_all_study_names
from ragtune.core.trial import BaseTrial, Trial
from ragtune.core.trial_state import TrialState
from ragtune.core.trials_view import TrialsView

__all__ = [
    "BaseTrial",
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
    "copy_study",
    "create_study",
    "create_trial",
    "delete_study",
    "distribution_from_json",
    "get_all_study_names",
    "load_study",
]

"""The public API is exactly what each package's __all__ lists."""

from __future__ import annotations

import importlib

import pytest

EXPECTED = {
    "ragtune": {
        "BaseTrial",
        "CategoricalDistribution",
        "FixedTrial",
        "FloatDistribution",
        "FrozenTrial",
        "IntDistribution",
        "MaxTrialsCallback",
        "RagtuneError",
        "Study",
        "StudyDirection",
        "Trial",
        "TrialPruned",
        "TrialState",
        "__version__",
        "copy_study",
        "create_study",
        "create_trial",
        "datasets",
        "delete_study",
        "exceptions",
        "get_all_study_names",
        "load_config",
        "load_study",
        "logging",
        "pruners",
        "samplers",
        "storage",
    },
    "ragtune.samplers": {
        "GridSampler",
        "NSGAIISampler",
        "QMCSampler",
        "RandomSampler",
        "Sampler",
        "TPESampler",
        "default_sampler",
    },
    "ragtune.storage": {
        "InMemoryStorage",
        "SQLStorage",
        "Storage",
        "StudySummary",
        "TrialsDelta",
        "get_storage",
        "mask_url",
    },
    "ragtune.logging": {
        "CRITICAL",
        "DEBUG",
        "ERROR",
        "INFO",
        "WARNING",
        "disable_default_handler",
        "disable_propagation",
        "enable_default_handler",
        "enable_propagation",
        "get_verbosity",
        "set_verbosity",
    },
    "ragtune.testing": {"PrunerContract", "SamplerContract", "StorageContract"},
    "ragtune.cli": {"app", "main"},
    "ragtune.distributed": {"RayExecutor", "TrialResources"},
    "ragtune.importance": {
        "FanovaImportanceEvaluator",
        "ImportanceEvaluator",
        "ParamColumn",
        "PedAnovaImportanceEvaluator",
        "get_param_importances",
        "get_param_importances_per_objective",
        "importances_from_columns",
        "importances_from_trials",
        "param_columns",
        "study_objective_names",
    },
}


@pytest.mark.parametrize("module", sorted(EXPECTED))
def test_all_is_pinned_and_resolvable(module):
    mod = importlib.import_module(module)
    assert set(mod.__all__) == EXPECTED[module]
    for name in mod.__all__:
        assert getattr(mod, name) is not None

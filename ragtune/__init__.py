"""ragtune: multi-objective tuning of RAG and LLM pipelines with an Optuna-shaped API."""

from __future__ import annotations

from typing import Any

from ragtune import log as _log  # noqa: F401  (installs the default warning handler)
from ragtune.core import (
    BaseTrial,
    CategoricalDistribution,
    FixedTrial,
    FloatDistribution,
    FrozenTrial,
    IntDistribution,
    MaxTrialsCallback,
    Study,
    StudyDirection,
    Trial,
    TrialState,
    copy_study,
    create_study,
    create_trial,
    delete_study,
    get_all_study_names,
    load_study,
)
from ragtune.exceptions import RagtuneError, TrialPruned


def load_config(path: str) -> dict[str, Any]:
    """The params of a chosen trade-off (written by ``ragtune tui``), ready for ``FixedTrial``."""
    from ragtune.choice import load_config as _load

    return _load(path)


__version__ = "0.1.0"

__all__ = [
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
]

_SUBMODULES = {
    "datasets",
    "exceptions",
    "importance",
    "logging",
    "objectives",
    "pipelines",
    "pruners",
    "samplers",
    "storage",
}


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"ragtune.{name}")
    raise AttributeError(f"module 'ragtune' has no attribute {name!r}")

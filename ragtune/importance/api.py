"""``get_param_importances`` and friends: which parameters decide each objective of a study."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from ragtune.core.directions import StudyDirection
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.objective_names import study_objective_names
from ragtune.core.trial_state import TrialState
from ragtune.exceptions import NoCompletedTrials, ValidationError
from ragtune.importance.ped_anova import PedAnovaImportanceEvaluator
from ragtune.importance.space import ParamColumn, param_columns

if TYPE_CHECKING:
    from ragtune.core.study import Study

__all__ = [
    "ImportanceEvaluator",
    "get_param_importances",
    "get_param_importances_per_objective",
    "importances_from_columns",
    "importances_from_trials",
    "study_objective_names",
]

FloatArray = npt.NDArray[np.float64]


class ImportanceEvaluator(Protocol):
    """Anything that scores parameter columns against a minimised target."""

    def evaluate(self, columns: Sequence[ParamColumn], losses: FloatArray) -> dict[str, float]: ...


def _objective_index(objective: int | str, names: Sequence[str]) -> int:
    if isinstance(objective, int) and not isinstance(objective, bool):
        if 0 <= objective < len(names):
            return objective
        raise ValidationError(
            f"objective must be an index in 0..{len(names) - 1}, but got objective={objective}"
        )
    if objective in names:
        return list(names).index(str(objective))
    raise ValidationError(f"objective must be one of {', '.join(names)}, but got objective={objective!r}")


def importances_from_trials(
    trials: Sequence[FrozenTrial],
    losses: FloatArray,
    *,
    evaluator: ImportanceEvaluator | None = None,
    params: Sequence[str] | None = None,
    normalize: bool = True,
) -> dict[str, float]:
    """Importances of ``params`` for ``losses`` (one per trial, lower is better), largest first."""
    return importances_from_columns(
        param_columns(trials, params), losses, evaluator=evaluator, normalize=normalize
    )


def importances_from_columns(
    columns: Sequence[ParamColumn],
    losses: FloatArray,
    *,
    evaluator: ImportanceEvaluator | None = None,
    normalize: bool = True,
) -> dict[str, float]:
    """Importances of already extracted parameter columns (see :func:`param_columns`), largest first."""
    raw = (evaluator or PedAnovaImportanceEvaluator()).evaluate(columns, np.asarray(losses, dtype=np.float64))
    total = sum(raw.values())
    scaled = {k: (v / total if normalize and total > 0 else v) for k, v in raw.items()}
    return dict(sorted(scaled.items(), key=lambda kv: (-kv[1], kv[0])))


def _complete(study: Study) -> list[FrozenTrial]:
    trials = [t for t in study.get_trials(states=(TrialState.COMPLETE,)) if t.values is not None]
    if len(trials) < 2:
        raise NoCompletedTrials(
            f"parameter importance needs at least 2 completed trials, but study {study.study_name!r} "
            f"has {len(trials)}; run more trials first"
        )
    return trials


def get_param_importances(
    study: Study,
    *,
    evaluator: ImportanceEvaluator | None = None,
    params: Sequence[str] | None = None,
    objective: int | str | None = None,
    target: Callable[[FrozenTrial], float] | None = None,
    normalize: bool = True,
) -> dict[str, float]:
    """Importance of each parameter for one objective, over the COMPLETE trials, largest first.

    ``objective`` picks an objective by index or name (needed when the study has several, unless
    ``target`` maps a trial to the value to judge; a target is minimised). ``evaluator`` defaults
    to :class:`PedAnovaImportanceEvaluator`. ``normalize`` scales the importances to sum to 1.
    Parameters of conditional branches are scored on the trials that took the branch.
    """
    trials = _complete(study)
    names = study_objective_names(study)
    if target is not None:
        losses = np.array([float(target(t)) for t in trials])
    else:
        if objective is None:
            if len(names) > 1:
                raise ValidationError(
                    f"study {study.study_name!r} has {len(names)} objectives ({', '.join(names)}); "
                    "pass objective= (an index or a name) or target="
                )
            objective = 0
        i = _objective_index(objective, names)
        sign = -1.0 if study.directions[i] is StudyDirection.MAXIMIZE else 1.0
        losses = np.array([sign * float(t.values[i]) for t in trials if t.values is not None])
    return importances_from_trials(trials, losses, evaluator=evaluator, params=params, normalize=normalize)


def get_param_importances_per_objective(
    study: Study,
    *,
    evaluator: ImportanceEvaluator | None = None,
    params: Sequence[str] | None = None,
    normalize: bool = True,
) -> dict[str, dict[str, float]]:
    """:func:`get_param_importances` for every objective, keyed by the objective's name."""
    _complete(study)
    return {
        name: get_param_importances(
            study, evaluator=evaluator, params=params, objective=i, normalize=normalize
        )
        for i, name in enumerate(study_objective_names(study))
    }

"""Parameter importance per objective, from the papers: PED-ANOVA (Watanabe et al., IJCAI 2023; the
default) and fANOVA with a random forest (Hutter et al., ICML 2014).

``get_param_importances(study, objective="ndcg@10")`` returns ``{param: importance}`` summing to 1,
largest first; ``get_param_importances_per_objective(study)`` does it for every objective. Why
PED-ANOVA is the default: see ``docs/importance.md``.
"""

from __future__ import annotations

from ragtune.importance.api import (
    ImportanceEvaluator,
    get_param_importances,
    get_param_importances_per_objective,
    importances_from_columns,
    importances_from_trials,
    study_objective_names,
)
from ragtune.importance.fanova import FanovaImportanceEvaluator
from ragtune.importance.ped_anova import PedAnovaImportanceEvaluator
from ragtune.importance.space import ParamColumn, param_columns

__all__ = [
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
]

"""A study's trials as arrays for the charts and the report (read once, no Textual)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ragtune.choice import CHOICE_ATTR
from ragtune.core.directions import StudyDirection, loss_signs
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.pareto import is_pareto_front
from ragtune.core.trial_state import TrialState
from ragtune.exceptions import ValidationError
from ragtune.importance import ParamColumn, param_columns, study_objective_names

if TYPE_CHECKING:
    from ragtune.core.study import Study

__all__ = ["StudyData", "running_best"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def running_best(losses: FloatArray) -> FloatArray:
    """The best (lowest) loss so far at each position; NaN entries keep the previous best."""
    filled = np.where(np.isfinite(losses), losses, np.inf)
    best = np.minimum.accumulate(filled) if filled.size else filled
    return np.where(np.isfinite(best), best, np.nan)


@dataclass(frozen=True, slots=True)
class StudyData:
    """Trials ordered by number with their values, losses, states and the Pareto front.

    ``values`` / ``losses`` are NaN unless the trial is COMPLETE; ``front`` marks the Pareto front
    of the COMPLETE feasible trials; ``last_values`` is each trial's last reported intermediate
    vector (NaN if none), which shows where pruned trials stopped.
    """

    name: str
    objective_names: tuple[str, ...]
    directions: tuple[StudyDirection, ...]
    trials: tuple[FrozenTrial, ...]
    numbers: npt.NDArray[np.int64]
    states: tuple[TrialState, ...]
    values: FloatArray
    losses: FloatArray
    last_values: FloatArray
    complete: BoolArray
    feasible: BoolArray
    front: BoolArray
    chosen: int | None
    user_attrs: Mapping[str, Any]
    system_attrs: Mapping[str, Any]
    cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """Derived values computed once per read (parameter columns, importances)."""

    @classmethod
    def from_study(cls, study: Study) -> StudyData:
        return cls.build(
            study.study_name,
            study.directions,
            study.get_trials(),
            names=study_objective_names(study),
            user_attrs=study.user_attrs,
            system_attrs=study.system_attrs,
        )

    @classmethod
    def build(
        cls,
        name: str,
        directions: Sequence[StudyDirection],
        trials: Sequence[FrozenTrial],
        *,
        names: Sequence[str],
        user_attrs: Mapping[str, Any] | None = None,
        system_attrs: Mapping[str, Any] | None = None,
    ) -> StudyData:
        ordered = tuple(sorted(trials, key=lambda t: t.number))
        m = len(directions)
        values = np.full((len(ordered), m), np.nan)
        last = np.full((len(ordered), m), np.nan)
        for i, t in enumerate(ordered):
            if t.state is TrialState.COMPLETE and t.values is not None and len(t.values) == m:
                values[i] = t.values
            if t.intermediate_values:
                vec = t.intermediate_values[max(t.intermediate_values)]
                vec = vec if isinstance(vec, tuple | list) else (vec,)
                if len(vec) == m:
                    last[i] = vec
        complete = np.isfinite(values).all(axis=1)
        feasible = np.array([t.feasible for t in ordered], dtype=bool)
        losses = values * loss_signs(directions)
        front = np.zeros(len(ordered), dtype=bool)
        rows = np.flatnonzero(complete & feasible)
        if rows.size:
            front[rows[is_pareto_front(losses[rows])]] = True
        choice = dict(system_attrs or {}).get(CHOICE_ATTR)
        chosen = choice.get("trial") if isinstance(choice, Mapping) else None
        return cls(
            name,
            tuple(names),
            tuple(directions),
            ordered,
            np.array([t.number for t in ordered], dtype=np.int64),
            tuple(t.state for t in ordered),
            values,
            losses,
            last,
            complete,
            feasible,
            front,
            chosen if isinstance(chosen, int) else None,
            dict(user_attrs or {}),
            dict(system_attrs or {}),
        )

    @property
    def n_objectives(self) -> int:
        return len(self.directions)

    def objective_index(self, objective: int | str) -> int:
        if (
            isinstance(objective, int)
            and not isinstance(objective, bool)
            and 0 <= objective < self.n_objectives
        ):
            return objective
        if isinstance(objective, str) and objective in self.objective_names:
            return self.objective_names.index(objective)
        raise ValidationError(
            f"objective must be an index in 0..{self.n_objectives - 1} or one of "
            f"{', '.join(self.objective_names)}, but got objective={objective!r}"
        )

    def label(self, i: int) -> str:
        arrow = "↑" if self.directions[i] is StudyDirection.MAXIMIZE else "↓"
        return f"{self.objective_names[i]} {arrow}"

    def state_mask(self, state: TrialState) -> BoolArray:
        return np.array([s is state for s in self.states], dtype=bool)

    def best_row(self, objective: int = 0) -> int | None:
        """Row of the best COMPLETE feasible trial on one objective (``None`` when there is none)."""
        ok = self.complete & self.feasible
        if not ok.any():
            ok = self.complete
        if not ok.any():
            return None
        col = np.where(ok, self.losses[:, objective], np.inf)
        return int(np.argmin(col))

    def complete_columns(self) -> list[ParamColumn]:
        """Parameter columns (see :func:`ragtune.importance.param_columns`) of the COMPLETE trials."""
        if "columns" not in self.cache:
            rows = np.flatnonzero(self.complete)
            self.cache["columns"] = param_columns([self.trials[r] for r in rows])
        columns: list[ParamColumn] = self.cache["columns"]
        return columns

    def param_names(self) -> list[str]:
        seen: dict[str, None] = {}
        for t in self.trials:
            for k in t.params:
                seen.setdefault(k, None)
        return list(seen)

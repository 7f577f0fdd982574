"""The contract every pruner passes, as a test class to subclass.

::

    from ragtune.testing import PrunerContract

    class TestMyPruner(PrunerContract):
        def make_pruner(self, *, objective=0):
            return MyPruner(objective=objective)

The histories are learning curves reported at steps 1, 3, 9 and 27 with per-question scores, from
COMPLETE, PRUNED, FAIL (with and without reports), RUNNING (another worker) and WAITING trials.
Set ``designated_objective = False`` for a pruner that looks at every objective at once (then the
single-objective equivalence check is skipped); override :meth:`make_storage` to run the contract
on another storage backend.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ragtune.core.study import Study, create_study
from ragtune.core.trial import Trial
from ragtune.core.trial_state import TrialState
from ragtune.pruners.base import NopPruner, Pruner
from ragtune.samplers.random_sampler import RandomSampler
from ragtune.storage.base import Storage
from ragtune.storage.in_memory import InMemoryStorage

__all__ = ["PrunerContract"]

STEPS = (1, 3, 9, 27)


@dataclass(frozen=True)
class _Plan:
    """One history trial: its final state and per-step score rows of two objectives."""

    state: TrialState
    scores: tuple[np.ndarray, ...]


def _plans(seed: int) -> tuple[list[_Plan], _Plan, _Plan]:
    """History, one trial left RUNNING by another worker, and the trial under decision."""
    rng = np.random.default_rng(seed)

    def plan(state: TrialState, n_steps: int, quality: float) -> _Plan:
        # Objective 0 (e.g. recall) rises with the step, objective 1 (e.g. latency) falls.
        rows = []
        for s in STEPS[:n_steps]:
            q = quality * (1.0 - np.exp(-s / 6.0))
            rows.append(np.column_stack([rng.normal(q, 0.2, size=s), rng.normal(1.0 - quality, 0.2, size=s)]))
        return _Plan(state, tuple(rows))

    c, p, f = TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL
    states = [c, c, p, c, f, c, c, p, c, f, c, c]
    lengths = [4, 4, 2, 4, 2, 4, 4, 1, 4, 0, 4, 4]
    history = [
        plan(st, n, float(q))
        for st, n, q in zip(states, lengths, rng.uniform(0.2, 0.9, size=len(states)), strict=True)
    ]
    return history, plan(TrialState.RUNNING, 2, 0.8), plan(TrialState.RUNNING, 4, 0.55)


def _report(trial: Trial, plan: _Plan, columns: Sequence[int]) -> None:
    for step, rows in zip(STEPS, plan.scores, strict=False):
        picked = rows[:, list(columns)]
        trial.report(picked.mean(axis=0).tolist(), step, scores=picked.tolist())


class PrunerContract(abc.ABC):
    """Properties every :class:`~ragtune.pruners.Pruner` has; subclass and implement ``make_pruner``."""

    #: Whether the pruner works on one designated objective (``objective=``) of a multi-objective study.
    designated_objective: bool = True

    @abc.abstractmethod
    def make_pruner(self, *, objective: int = 0) -> Pruner:
        """A fresh pruner; ``objective`` designates the objective it prunes on (ignore if unused)."""

    def make_storage(self) -> Storage:
        return InMemoryStorage()

    # -- helpers ---------------------------------------------------------------------------
    def _study(
        self, directions: Sequence[str], columns: Sequence[int], pruner: Pruner, *, seed: int = 0
    ) -> tuple[Study, Trial, _Plan]:
        """A study with the standard history; returns it, the current trial and its plan."""
        study = create_study(
            directions=list(directions),
            storage=self.make_storage(),
            sampler=RandomSampler(seed=seed),
            pruner=NopPruner(),
        )
        history, other_worker, current = _plans(seed)
        for plan in history:
            t = study.ask()
            t.suggest_float("x", 0.0, 1.0)
            _report(t, plan, columns)
            if plan.state is TrialState.COMPLETE:
                study.tell(t, plan.scores[-1][:, list(columns)].mean(axis=0).tolist())
            else:
                study.tell(t, state=plan.state)
        running = study.ask()
        running.suggest_float("x", 0.0, 1.0)
        _report(running, other_worker, columns)
        trial = study.ask()
        trial.suggest_float("x", 0.0, 1.0)
        study.enqueue_trial({"x": 0.5})
        study.pruner = pruner
        return study, trial, current

    @staticmethod
    def _decide(study: Study, trial: Trial) -> bool:
        # What Trial.should_prune does, minus its "nothing reported yet" shortcut.
        return study.pruner.prune(study.trials_view(), study.storage.get_trial(trial.trial_id))

    def _decisions(self, study: Study, trial: Trial, plan: _Plan, columns: Sequence[int]) -> list[bool]:
        out = []
        for k in range(1, len(STEPS) + 1):
            _report_step(trial, plan, columns, k)
            out.append(self._decide(study, trial))
        return out

    # -- the contract ------------------------------------------------------------------------
    def test_never_prunes_before_any_report(self) -> None:
        study, trial, _ = self._study(["minimize"], [1], self.make_pruner())
        assert self._decide(study, trial) is False
        empty = create_study(storage=self.make_storage(), pruner=self.make_pruner())
        first = empty.ask()
        assert self._decide(empty, first) is False

    def test_answers_a_bool_at_every_step(self) -> None:
        study, trial, plan = self._study(["minimize"], [1], self.make_pruner())
        for decision in self._decisions(study, trial, plan, [1]):
            assert isinstance(decision, bool)

    def test_deterministic_for_the_same_history(self) -> None:
        runs = []
        for _ in range(2):
            study, trial, plan = self._study(["maximize"], [0], self.make_pruner())
            runs.append(self._decisions(study, trial, plan, [0]))
            # Asking again without a new report gives the same answer (caches must not drift).
            assert self._decide(study, trial) == runs[-1][-1]
        assert runs[0] == runs[1]

    def test_handles_failed_pruned_running_and_waiting_trials(self) -> None:
        study, trial, plan = self._study(["minimize"], [1], self.make_pruner())
        states = {t.state for t in study.trials}
        assert {TrialState.FAIL, TrialState.PRUNED, TrialState.RUNNING, TrialState.WAITING} <= states
        self._decisions(study, trial, plan, [1])

    def test_multi_objective_vectors_on_a_designated_objective(self) -> None:
        directions = ["maximize", "minimize"]
        for objective in (0, 1):
            study, trial, plan = self._study(directions, [0, 1], self.make_pruner(objective=objective))
            multi = self._decisions(study, trial, plan, [0, 1])
            assert all(isinstance(d, bool) for d in multi)
            if not self.designated_objective:
                continue
            # Pruning on objective i of vectors == pruning a single-objective study of column i.
            single_study, single_trial, _ = self._study(
                [directions[objective]], [objective], self.make_pruner()
            )
            single = self._decisions(single_study, single_trial, plan, [objective])
            assert multi == single, f"objective={objective}: {multi} != {single}"

    def test_single_value_reports_in_a_multi_objective_study(self) -> None:
        study, trial, plan = self._study(["maximize", "minimize"], [0, 1], self.make_pruner())
        for k in range(1, len(STEPS) + 1):
            trial.report(float(plan.scores[k - 1][:, 0].mean()), STEPS[k - 1])
            assert isinstance(self._decide(study, trial), bool)


def _report_step(trial: Trial, plan: _Plan, columns: Sequence[int], k: int) -> None:
    """Report the ``k``-th step of ``plan`` (1-based)."""
    rows = plan.scores[k - 1][:, list(columns)]
    trial.report(rows.mean(axis=0).tolist(), STEPS[k - 1], scores=rows.tolist())

"""SamplerContract: the pytest suite every sampler passes (subclass it and implement make_sampler).

::

    from ragtune.testing import SamplerContract

    class TestMySampler(SamplerContract):
        def make_sampler(self, seed: int) -> Sampler:
            return MySampler(seed=seed)

Samplers that only know a fixed grid (like :class:`~ragtune.samplers.GridSampler`) can be built
over :meth:`SamplerContract.grid_space`, which lists every parameter the suite suggests.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Sequence
from typing import Any, ClassVar

import ragtune as rt
from ragtune.core.distributions import CategoricalChoice
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.study import Study
from ragtune.core.trial import Trial
from ragtune.core.trial_state import TrialState
from ragtune.exceptions import TrialPruned
from ragtune.samplers.base import Sampler

_CHOICES: tuple[CategoricalChoice, ...] = (None, True, 3, 2.5, "bm25")
_RETRIEVERS = ("bm25", "dense", "hybrid")


def all_kinds_objective(trial: Trial) -> float:
    """One parameter of every kind: float, log float, stepped float, int, log int, stepped int, categorical."""
    a = trial.suggest_float("a", -2.0, 3.0)
    b = trial.suggest_float("b", 1e-4, 1.0, log=True)
    c = trial.suggest_float("c", 0.0, 1.0, step=0.25)
    d = trial.suggest_int("d", -3, 4)
    e = trial.suggest_int("e", 1, 1024, log=True)
    f = trial.suggest_int("f", 0, 30, step=5)
    g = trial.suggest_categorical("g", _CHOICES)
    return a * a + math.log(b) ** 2 + c + abs(d) + math.log(e) + f / 10 + _CHOICES.index(g)


def rag_objective(trial: Trial) -> float:
    """A conditional space shaped like a RAG search: chunk size sets the overlap range, the retriever its knobs."""
    chunk = trial.suggest_int("chunk_size", 128, 1024, step=128)
    # The overlap's range depends on the chunk size: one name, two ranges.
    overlap = trial.suggest_int("overlap", 64, 128) if chunk > 512 else trial.suggest_int("overlap", 16, 48)
    retriever = trial.suggest_categorical("retriever", _RETRIEVERS)
    score = abs(chunk - 384) / 128 + abs(overlap - 32) / 16
    if retriever == "bm25":
        score += abs(trial.suggest_float("bm25_k1", 0.5, 2.0) - 1.2)
    elif retriever == "dense":
        score += trial.suggest_float("dense_temperature", 1e-3, 1.0, log=True)
    else:
        score += abs(trial.suggest_float("hybrid_alpha", 0.0, 1.0) - 0.3)
        score += 0.1 * trial.suggest_int("hybrid_k", 10, 100, step=10) / 100
    return score + 0.05 * trial.suggest_int("top_k", 1, 20)


def rag_expected_distribution_ok(t: FrozenTrial) -> bool:
    """Whether a finished trial of :func:`rag_objective` holds exactly the parameters of its branch."""
    chunk = t.params["chunk_size"]
    lo, hi = (64, 128) if chunk > 512 else (16, 48)
    branch = {"bm25": {"bm25_k1"}, "dense": {"dense_temperature"}, "hybrid": {"hybrid_alpha", "hybrid_k"}}
    expected = {"chunk_size", "overlap", "retriever", "top_k"} | branch[t.params["retriever"]]
    return lo <= t.params["overlap"] <= hi and set(t.params) == expected


def two_param_objective(trial: Trial) -> float:
    x = trial.suggest_float("x", -5.0, 5.0)
    y = trial.suggest_int("y", -5, 5)
    return (x - 1.0) ** 2 + (y + 2) ** 2


def check_in_distributions(trials: Sequence[FrozenTrial]) -> None:
    """Every parameter of every trial lies in the distribution it was suggested from, with its type."""
    for t in trials:
        for name, value in t.params.items():
            dist = t.distributions[name]
            assert dist.contains(value), f"trial {t.number}: {name}={value!r} outside {dist.describe()}"
            if dist.kind == "float":
                assert type(value) is float, f"trial {t.number}: {name}={value!r} is not a float"
            elif dist.kind == "int":
                assert type(value) is int, f"trial {t.number}: {name}={value!r} is not an int"


class SamplerContract(abc.ABC):
    """Tests every sampler passes. Override the class attributes to adapt trial counts."""

    n_trials: ClassVar[int] = 40
    n_conditional_trials: ClassVar[int] = 200
    n_reproducible_trials: ClassVar[int] = 30

    @abc.abstractmethod
    def make_sampler(self, seed: int) -> Sampler:
        """A fresh sampler seeded with ``seed``."""

    @staticmethod
    def grid_space() -> dict[str, list[Any]]:
        """A small grid covering every parameter this suite suggests (for grid-like samplers)."""
        return {
            "a": [-2.0, 3.0],
            "b": [1e-4, 0.5],
            "c": [0.0, 0.75],
            "d": [-3, 4],
            "e": [1, 1024],
            "f": [0, 25],
            "g": [None, "bm25"],
            "chunk_size": [256, 768],
            "overlap": [16, 100],
            "retriever": list(_RETRIEVERS),
            "bm25_k1": [1.2],
            "dense_temperature": [0.1],
            "hybrid_alpha": [0.3],
            "hybrid_k": [20],
            "top_k": [5],
            "x": [-1.0, 2.0],
            "y": [-2, 3],
        }

    def make_study(self, seed: int = 0, directions: Sequence[str] = ("minimize",)) -> Study:
        return rt.create_study(directions=list(directions), sampler=self.make_sampler(seed))

    def test_suggestions_respect_distributions(self) -> None:
        study = self.make_study()
        study.optimize(all_kinds_objective, n_trials=self.n_trials)
        trials = study.get_trials()
        assert len(trials) == self.n_trials
        assert all(t.state is TrialState.COMPLETE for t in trials)
        check_in_distributions(trials)

    def test_reproducible_with_seed(self) -> None:
        runs = []
        for _ in range(2):
            study = self.make_study(seed=7)
            study.optimize(all_kinds_objective, n_trials=self.n_reproducible_trials)
            runs.append([dict(t.params) for t in study.get_trials()])
        assert runs[0] == runs[1]

    def test_conditional_space(self) -> None:
        study = self.make_study()
        study.optimize(rag_objective, n_trials=self.n_conditional_trials)
        trials = study.get_trials()
        assert len(trials) == self.n_conditional_trials
        assert all(t.state is TrialState.COMPLETE for t in trials)
        check_in_distributions(trials)
        bad = [t.number for t in trials if not rag_expected_distribution_ok(t)]
        assert not bad, f"trials outside their branch's space: {bad}"

    def test_pruned_and_failed_trials_in_history(self) -> None:
        def objective(trial: Trial) -> float:
            value = two_param_objective(trial)
            trial.report(value, 0)
            if trial.number % 5 == 1:
                raise TrialPruned()
            if trial.number % 5 == 2:
                raise ValueError("this configuration crashed")
            return value

        study = self.make_study()
        study.optimize(objective, n_trials=self.n_trials, catch=(ValueError,))
        states = [t.state for t in study.get_trials()]
        assert len(states) == self.n_trials
        assert {TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL} <= set(states)
        check_in_distributions(study.get_trials())

    def test_multi_objective(self) -> None:
        def objective(trial: Trial) -> tuple[float, float]:
            x = trial.suggest_float("x", -5.0, 5.0)
            y = trial.suggest_int("y", -5, 5)
            return x * x + y * y, (x - 2.0) ** 2 - y

        study = self.make_study(directions=("minimize", "maximize"))
        study.optimize(objective, n_trials=self.n_trials)
        trials = study.get_trials()
        assert all(t.state is TrialState.COMPLETE for t in trials)
        assert study.best_trials
        check_in_distributions(trials)

    def test_two_threads(self) -> None:
        study = self.make_study()
        study.optimize(two_param_objective, n_trials=self.n_trials, n_jobs=2)
        trials = study.get_trials()
        assert len(trials) == self.n_trials
        assert all(t.state is TrialState.COMPLETE for t in trials)
        check_in_distributions(trials)

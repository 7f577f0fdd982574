"""The NSGA-II sampler: an elitist multi-objective genetic algorithm over ragtune trials."""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from ragtune.core.distributions import AnyDistribution
from ragtune.core.trials_view import TrialsView
from ragtune.exceptions import ValidationError
from ragtune.samplers.base import Sampler, make_rng
from ragtune.samplers.nsga2.encoding import SearchEncoding, SpaceKey, encode_space, space_key
from ragtune.samplers.nsga2.ledger import GENERATION_KEY, GenerationLedger
from ragtune.samplers.nsga2.variation import VariationSettings, make_offspring
from ragtune.samplers.random_sampler import sample_uniform

if TYPE_CHECKING:
    from ragtune.core.trial import Trial

__all__ = ["NSGAIISampler"]


def _check_probability(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise ValidationError(f"{name} must be a probability in [0, 1], but got {name}={value!r}")
    return float(value)


def _check_eta(name: str, value: float) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not (math.isfinite(value) and value >= 0.0)
    ):
        raise ValidationError(f"{name} must be a finite number >= 0, but got {name}={value!r}")
    return float(value)


@dataclass(slots=True, eq=False)
class _Brood:
    """Children made in one batch for one generation and search space, handed out in order."""

    generation: int
    key: SpaceKey
    encoding: SearchEncoding
    internal: list[list[float]]
    defined: list[list[bool]]
    taken: int = 0


class NSGAIISampler(Sampler):
    """NSGA-II: non-dominated sorting genetic algorithm II with constraint-domination.

    Deb, Pratap, Agarwal & Meyarivan, "A fast and elitist multiobjective genetic algorithm:
    NSGA-II", IEEE Transactions on Evolutionary Computation 6(2), 2002. Generation 0 is random;
    each later trial is one offspring of two parents picked by binary tournaments on
    (constraint-domination rank, crowding distance), crossed with probability ``crossover_prob``
    and mutated. Parents of generation ``g`` are the best ``population_size`` of the previous
    parents and the first ``population_size`` completed trials of generation ``g - 1``.

    Crossover works in search coordinates (log scale for ``log=True``, integers and steps
    rounded afterwards): ``crossover="sbx"`` uses simulated binary crossover (Deb & Agrawal
    1995, spread ``eta_c``) on numbers and uniform crossover on categories; ``"uniform"`` uses
    uniform crossover (each gene from the second parent with probability ``swapping_prob``)
    everywhere. Mutation is polynomial (Deb & Goyal 1996, spread ``eta_m``) for numbers and a
    uniform re-draw for categories, each parameter with probability ``mutation_prob``
    (default ``1 / number of parameters``). A parameter that either parent did not suggest
    (conditional search spaces) is sampled uniformly at random.

    With ``constraints=True``, trials that called ``trial.set_constraint`` are compared by
    constraint-domination (Deb et al. 2002, Sec. VI): feasible beats infeasible, infeasible ones
    by total violation. Generations are stored as the trial system attr ``nsga2:generation``
    and rebuilt from storage, so restarts and parallel workers continue the same run.
    """

    def __init__(
        self,
        *,
        population_size: int = 50,
        mutation_prob: float | None = None,
        crossover: Literal["uniform", "sbx"] = "sbx",
        crossover_prob: float = 0.9,
        swapping_prob: float = 0.5,
        eta_c: float = 20.0,
        eta_m: float = 20.0,
        seed: int | np.random.Generator | None = None,
        constraints: bool = True,
    ) -> None:
        if isinstance(population_size, bool) or not isinstance(population_size, int) or population_size < 2:
            raise ValidationError(
                f"population_size must be an int >= 2, but got population_size={population_size!r}"
            )
        if crossover not in ("uniform", "sbx"):
            raise ValidationError(f'crossover must be "uniform" or "sbx", but got crossover={crossover!r}')
        self._settings = VariationSettings(
            crossover=crossover,
            crossover_prob=_check_probability("crossover_prob", crossover_prob),
            swapping_prob=_check_probability("swapping_prob", swapping_prob),
            eta_c=_check_eta("eta_c", eta_c),
            eta_m=_check_eta("eta_m", eta_m),
            mutation_prob=None
            if mutation_prob is None
            else _check_probability("mutation_prob", mutation_prob),
        )
        self._population_size = population_size
        self._constraints = bool(constraints)
        self._rng = make_rng(seed)
        self._lock = threading.Lock()
        self._ledgers: dict[tuple[int, str], GenerationLedger] = {}
        self._broods: dict[tuple[int, str], _Brood] = {}
        self._encodings: dict[SpaceKey, SearchEncoding] = {}

    @property
    def population_size(self) -> int:
        return self._population_size

    def _study_key(self, trial: Trial) -> tuple[int, str]:
        study = trial.study
        return id(study.storage), study.study_name

    def _ledger(self, key: tuple[int, str]) -> GenerationLedger:
        ledger = self._ledgers.get(key)
        if ledger is None:
            ledger = GenerationLedger(self._population_size, use_constraints=self._constraints)
            self._ledgers[key] = ledger
        return ledger

    def _encoding(self, space: Mapping[str, AnyDistribution]) -> tuple[SpaceKey, SearchEncoding]:
        key = space_key(space)
        enc = self._encodings.get(key)
        if enc is None:
            if len(self._encodings) > 64:
                self._encodings.clear()
            enc = self._encodings[key] = encode_space(space)
        return key, enc

    def infer_relative_search_space(self, view: TrialsView, trial: Trial) -> dict[str, AnyDistribution]:
        return dict(view.distributions)

    def sample_relative(
        self, view: TrialsView, trial: Trial, search_space: Mapping[str, AnyDistribution]
    ) -> dict[str, Any]:
        with self._lock:
            study_key = self._study_key(trial)
            ledger = self._ledger(study_key)
            n_finished = ledger.update(view)
            generation = ledger.current_generation(view, n_finished)
            values = self._offspring(study_key, ledger, generation, search_space)
        trial.set_system_attr(GENERATION_KEY, generation)
        return values

    def _offspring(
        self,
        study_key: tuple[int, str],
        ledger: GenerationLedger,
        generation: int,
        space: Mapping[str, AnyDistribution],
    ) -> dict[str, Any]:
        """The next child for ``generation``, from the current brood or a new one."""
        if generation == 0 or not space:
            return {}
        key, enc = self._encoding(space)
        brood = self._broods.get(study_key)
        if (
            brood is None
            or brood.generation != generation
            or brood.key != key
            or brood.taken >= len(brood.internal)
        ):
            parents = ledger.parents(generation)
            if len(parents) == 0:
                return {}
            coords = parents.coords(key, enc)
            first, second = parents.tournament_pairs(self._rng, (self._population_size + 1) // 2)
            children, defined = make_offspring(self._rng, enc, coords, first, second, self._settings)
            brood = _Brood(generation, key, enc, enc.to_internal(children).tolist(), defined.tolist())
            self._broods[study_key] = brood
        i = brood.taken
        brood.taken += 1
        return enc.decode(brood.internal[i], brood.defined[i])

    def sample_independent(
        self, view: TrialsView, trial: Trial, name: str, distribution: AnyDistribution
    ) -> Any:
        with self._lock:
            return sample_uniform(self._rng, distribution)

    def reseed_rng(self, seed: int | None = None) -> None:
        with self._lock:
            self._rng = make_rng(seed)

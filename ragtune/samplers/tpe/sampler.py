"""TPESampler: multivariate, multi-objective, constraint-aware tree-structured Parzen estimator."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ragtune.core.distributions import AnyDistribution, FloatDistribution
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trial_state import TrialState
from ragtune.core.trials_view import TrialsView
from ragtune.exceptions import ValidationError
from ragtune.samplers.base import Sampler, make_rng
from ragtune.samplers.random_sampler import sample_uniform
from ragtune.samplers.tpe.cache import Group, GroupCache
from ragtune.samplers.tpe.fit import (
    KernelConfig,
    age_weights,
    condition_log_weights,
    fit_estimator,
    good_set_clip,
)
from ragtune.samplers.tpe.parzen import ParzenEstimator, truncation_log_mass
from ragtune.samplers.tpe.selection import choose_candidate, uniform_candidates
from ragtune.samplers.tpe.space import UnitSpace, unit_dim
from ragtune.samplers.tpe.split import default_gamma, good_log_weights, good_ranking, rank_log_weights

if TYPE_CHECKING:
    from ragtune.core.trial import Trial

_MAX_MEMOS = 4096
_RUNNING = int(TrialState.RUNNING)


@dataclass(slots=True)
class _Memo:
    """Per-trial state: names the relative step covered, joint draws not yet suggested, and every
    internal value drawn (what a constant liar uses while the trial has not stored them yet)."""

    relative: frozenset[str] = frozenset()
    pending: dict[str, Any] = field(default_factory=dict)
    drawn: dict[str, float] = field(default_factory=dict)


class _Varying:
    """Marks a parameter whose distribution differed between finished trials."""


_VARYING = _Varying()


class TPESampler(Sampler):
    """Tree-structured Parzen estimator (Bergstra et al., NeurIPS 2011; Watanabe, arXiv:2304.11127, 2023).

    Observed trials are split into a good set and a bad set (:func:`good_ranking`); Parzen
    estimators l(x) and g(x) are fitted to each; ``n_ei_candidates`` draws from l(x) are scored by
    log l(x) - log g(x) (equivalent to expected improvement, Bergstra et al. 2011, Sec. 4.1) and the
    best one is suggested. The first ``n_startup_trials`` trials are uniform random.

    * ``multivariate=True`` (default) models parameters jointly with product kernels. Parameters
      are grouped by the trials they occur in: those present in every finished trial with one
      fixed distribution are sampled together when the trial starts; every other parameter
      (conditional branches, ranges that change between trials) is sampled when it is first
      suggested, jointly with the not yet suggested parameters that always occur with it, and
      *conditioned* on the values this trial already holds (each component's weight is multiplied
      by its kernel at those values), using only observations inside the current range.
      ``multivariate=False`` models every parameter on its own (univariate TPE, bandwidths by
      the neighbour heuristic; ``consider_endpoints`` counts the domain ends as neighbours).
    * One objective: good observations are weighted by rank, from 1 for the best to 1/2 for the
      worst (:func:`~ragtune.samplers.tpe.split.rank_log_weights`), so l(x) concentrates near the
      best points found.
    * Several objectives: the good set is filled by Pareto rank, ties on the boundary front broken
      by hypervolume contribution, and good observations weighted by their hypervolume
      contribution (MOTPE; Ozaki et al., JAIR 73, 2022).
    * Bandwidths (multivariate): l(x) by Scott's rule on the good set's robust spread, g(x) by the
      spread-free scale ``0.2 n^(-1/(d+4))`` (Watanabe 2023, Sec. 3.3), which keeps g sharp where
      the bad trials are; see :func:`~ragtune.samplers.tpe.fit.spread_free_bandwidth`.
    * g(x) forgets old trials linearly (Bergstra, Yamins & Cox, ICML 2013), so it follows where
      the search has been lately.
    * ``constraints=True``: feasible trials rank first, infeasible ones by total violation.
    * Pruned trials rank after completed ones, by how far they ran and their last report.
    * ``constant_liar=True``: RUNNING trials of other workers join the bad set, so parallel
      workers spread out instead of suggesting the same point (also for trials asked with
      ``study.ask()`` that have not suggested their parameters yet).
    * When every parameter seen is discrete, a candidate equal to an existing trial's
      configuration is skipped unless every configuration has been tried.

    ``gamma(n)`` gives the good set's size for ``n`` observations (default
    :func:`default_gamma`); ``prior_weight`` weighs the broad prior component against one
    observation; ``warn_independent_sampling`` warns once per parameter that has to be sampled
    uniformly after the start-up phase because no finished trial holds it inside its current range.
    """

    def __init__(
        self,
        *,
        seed: int | np.random.Generator | None = None,
        n_startup_trials: int = 10,
        n_ei_candidates: int = 24,
        multivariate: bool = True,
        gamma: Callable[[int], int] = default_gamma,
        prior_weight: float = 1.0,
        consider_endpoints: bool = False,
        constant_liar: bool = True,
        constraints: bool = True,
        warn_independent_sampling: bool = True,
    ) -> None:
        if (
            isinstance(n_startup_trials, bool)
            or not isinstance(n_startup_trials, int)
            or n_startup_trials < 0
        ):
            raise ValidationError(
                f"n_startup_trials must be an int >= 0, but got n_startup_trials={n_startup_trials!r}"
            )
        if isinstance(n_ei_candidates, bool) or not isinstance(n_ei_candidates, int) or n_ei_candidates < 1:
            raise ValidationError(
                f"n_ei_candidates must be an int >= 1, but got n_ei_candidates={n_ei_candidates!r}"
            )
        if not prior_weight > 0.0:
            raise ValidationError(f"prior_weight must be > 0, but got prior_weight={prior_weight!r}")
        if not callable(gamma):
            raise ValidationError(f"gamma must be a callable n -> int, but got gamma={gamma!r}")
        self._rng = make_rng(seed)
        self._n_startup = n_startup_trials
        self._n_candidates = n_ei_candidates
        self._multivariate = multivariate
        self._gamma = gamma
        self._kernels = KernelConfig(float(prior_weight), consider_endpoints)
        self._constant_liar = constant_liar
        self._constraints = constraints
        self._warn = warn_independent_sampling
        self._warned: set[str] = set()
        self._lock = threading.RLock()
        self._memos: dict[int, _Memo] = {}
        self._groups = GroupCache()
        # Ablation switches (benchmarks only): linear forgetting in g(x), MOTPE good-set weights,
        # rank weights of the good set for one objective.
        self._decay = True
        self._hv_weights = True
        self._rank_weights = True
        # What finished trials showed so far (finished trials never change, so this only grows):
        # each parameter's distribution (or that it varied), and as a bit set over the COMPLETE or
        # PRUNED trials, in which of them it occurred.
        self._dists: dict[str, AnyDistribution | _Varying] = {}
        self._presence: dict[str, int] = {}
        self._n_model = 0
        self._n_scanned = 0

    # -- bookkeeping -------------------------------------------------------------------------
    def _scan(self, view: TrialsView) -> int:
        """Take in the trials that finished since the last call; returns the view's finished count."""
        n_finished = int(np.count_nonzero((view.states >= 1) & (view.states <= 3)))
        for t in view.trials[self._n_scanned : n_finished]:
            bit = 0
            if t.state is TrialState.COMPLETE or t.state is TrialState.PRUNED:
                bit = 1 << self._n_model
                self._n_model += 1
            for name, d in t.distributions.items():
                old = self._dists.get(name)
                if old is None:
                    self._dists[name] = d
                elif old is not d and not isinstance(old, _Varying) and old != d:
                    self._dists[name] = _VARYING
                self._presence[name] = self._presence.get(name, 0) | bit
        self._n_scanned = max(self._n_scanned, n_finished)
        return n_finished

    def _fixed_dist(self, name: str) -> AnyDistribution | None:
        d = self._dists.get(name)
        return None if d is None or isinstance(d, _Varying) or d.is_single() else d

    def _memo(self, number: int) -> _Memo:
        memo = self._memos.get(number)
        if memo is None:
            if len(self._memos) >= _MAX_MEMOS:  # trials asked and never told
                del self._memos[next(iter(self._memos))]
            memo = self._memos[number] = _Memo()
        return memo

    # -- Sampler API -------------------------------------------------------------------------
    def infer_relative_search_space(self, view: TrialsView, trial: Trial) -> dict[str, AnyDistribution]:
        with self._lock:
            self._scan(view)
            if not self._n_model:
                return {}
            everywhere = (1 << self._n_model) - 1
            space: dict[str, AnyDistribution] = {}
            for name, bits in self._presence.items():
                d = self._fixed_dist(name)
                if d is not None and bits == everywhere:
                    space[name] = d
            return space

    def sample_relative(
        self, view: TrialsView, trial: Trial, search_space: Mapping[str, AnyDistribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        with self._lock:
            names = sorted(search_space)
            memo = self._memo(trial.number)
            memo.relative = frozenset(names)
            dists = [search_space[n] for n in names]
            values = self._sample(view, names, dists, {})
            memo.drawn.update(zip(names, values.tolist(), strict=True))
            return {n: d.to_external(v) for n, d, v in zip(names, dists, values.tolist(), strict=True)}

    def sample_independent(
        self, view: TrialsView, trial: Trial, name: str, distribution: AnyDistribution
    ) -> Any:
        with self._lock:
            memo = self._memo(trial.number)
            if name in memo.pending:
                value = memo.pending.pop(name)
                if distribution.contains(value):
                    return value
            self._scan(view)
            if name not in view.params:
                return sample_uniform(self._rng, distribution)
            names, dists = [name], [distribution]
            cond: dict[str, tuple[AnyDistribution, float]] = {}
            if self._multivariate:
                done = trial.params
                mine = self._presence.get(name)
                for other, bits in self._presence.items():
                    d = self._fixed_dist(other)
                    fresh = other != name and other not in done and other not in memo.relative
                    if fresh and bits == mine and d is not None:
                        names.append(other)
                        dists.append(d)
                trial_dists = trial.distributions
                for p, value in done.items():
                    if p in view.params and p in trial_dists and not trial_dists[p].is_single():
                        cond[p] = (trial_dists[p], trial_dists[p].to_internal(value))
            values = self._sample(view, names, dists, cond).tolist()
            memo.drawn.update(zip(names, values, strict=True))
            for other, d, v in zip(names[1:], dists[1:], values[1:], strict=True):
                memo.pending[other] = d.to_external(v)
            return distribution.to_external(values[0])

    def after_trial(self, view: TrialsView, trial: FrozenTrial) -> None:
        with self._lock:
            self._memos.pop(trial.number, None)

    def reseed_rng(self, seed: int | None = None) -> None:
        with self._lock:
            self._rng = make_rng(seed)

    # -- the model ---------------------------------------------------------------------------
    def _all_discrete(self, view: TrialsView, dists: Sequence[AnyDistribution]) -> bool:
        def discrete(d: AnyDistribution) -> bool:
            return not (isinstance(d, FloatDistribution) and d.step is None)

        return all(discrete(d) for d in dists) and all(discrete(d) for d in view.distributions.values())

    def _sample(
        self,
        view: TrialsView,
        names: Sequence[str],
        dists: Sequence[AnyDistribution],
        cond: Mapping[str, tuple[AnyDistribution, float]],
    ) -> np.ndarray:
        """Internal values for ``names`` (given the trial's values ``cond``) from the TPE model."""
        group = self._groups.get(names, dists)
        space = group.space
        dedup = self._all_discrete(view, dists)
        n_finished = self._scan(view)
        rows = group.rows(view, n_finished, running=self._constant_liar)
        drawn = None if cond else self._drawn_by_running(view, group, n_finished)
        model_rows = rows if rows.size == 0 or rows[-1] < n_finished else rows[rows < n_finished]
        if self._n_model < self._n_startup or model_rows.size == 0:
            if self._n_model >= self._n_startup and self._warn:
                self._warn_random(names)
            cand = uniform_candidates(self._rng, space, self._n_candidates if dedup else 1)
            zeros = np.zeros(len(cand))
            return choose_candidate(view, names, space, cand, zeros, None, cond, dedup, self._rng, drawn)
        ranking = good_ranking(view, rows, self._gamma, constraints=self._constraints, memo=group.fronts)
        good = np.zeros(rows.size, dtype=bool)
        good[ranking] = True
        x = group.coords(view, rows, n_finished)
        n_dims = space.d + len(cond) if self._multivariate else 1
        lc_good = lc_bad = None
        if cond:
            cdims = [unit_dim(d) for d, _ in cond.values()]
            point = np.array(
                [u.to_unit(np.array([v]))[0] for u, (_, v) in zip(cdims, cond.values(), strict=True)]
            )
            a = np.stack([u.to_unit(view.params[p][rows]) for u, p in zip(cdims, cond, strict=True)], axis=1)
            lc_good = condition_log_weights(cdims, a[good], point, n_model_dims=n_dims)
            lc_bad = condition_log_weights(cdims, a[~good], point, n_model_dims=n_dims)
        bad_rows, x_bad = rows[~good], x[~good]
        liars = space.to_unit(drawn) if self._constant_liar and drawn is not None else None
        if liars is not None:
            x_bad = np.concatenate([x_bad, liars])

        def cached_mass(sigma: np.ndarray) -> np.ndarray:
            mass = group.log_mass(sigma, bad_rows, x_bad[: bad_rows.size], n_finished)
            if liars is None:
                return mass
            return np.concatenate([mass, truncation_log_mass(space.numeric_part(liars), sigma)])

        uni = not self._multivariate
        kernels = self._kernels
        clip = good_set_clip(int(good.sum()), rows.size, conditioned=bool(cond))
        below = fit_estimator(
            space,
            x[good],
            kernels,
            n_model_dims=n_dims,
            clip=clip,
            neighbour=uni,
            log_cond=lc_good,
            log_weights=self._good_weights(view, rows, good, ranking, group),
        )
        above = fit_estimator(
            space,
            x_bad,
            kernels,
            n_model_dims=n_dims,
            neighbour=uni,
            spread_free=True,
            log_cond=lc_bad,
            log_weights=age_weights(x_bad.shape[0]) if self._decay else None,
            cached_mass=cached_mass,
            order=group.column_order(bad_rows) if uni and liars is None else None,
        )
        if uni:
            return self._choose_univariate(view, names, space, below, above, cond, dedup, drawn)

        def score(c: np.ndarray) -> np.ndarray:
            out: np.ndarray = below.log_pdf(c) - above.log_pdf(c)
            return out

        cand = below.sample(self._rng, self._n_candidates)
        return choose_candidate(view, names, space, cand, score(cand), score, cond, dedup, self._rng, drawn)

    def _good_weights(
        self, view: TrialsView, rows: np.ndarray, good: np.ndarray, ranking: np.ndarray, group: Group
    ) -> np.ndarray | None:
        """Log weights of l(x)'s observations ``rows[good]``: hypervolume contributions for several
        objectives, by place in ``ranking`` for one (None: uniform)."""
        if view.n_objectives >= 2:
            return good_log_weights(view, rows[good], group.fronts) if self._hv_weights else None
        by_rank = rank_log_weights(ranking.size) if self._rank_weights else None
        if by_rank is None:
            return None
        place = np.empty(rows.size, dtype=np.int64)
        place[ranking] = np.arange(ranking.size)
        out: np.ndarray = by_rank[place[good]]
        return out

    def _drawn_by_running(self, view: TrialsView, group: Group, n_finished: int) -> np.ndarray | None:
        """Internal values this sampler drew for RUNNING trials that have not suggested them yet.

        Workers that ask several trials before evaluating any (``study.ask()`` in a loop) leave
        the view without those trials' parameters; the constant liar still counts them as bad.
        """
        out = []
        for i in n_finished + np.flatnonzero(view.states[n_finished:] == _RUNNING):
            memo = self._memos.get(int(view.numbers[i]))
            if memo is None or not all(n in memo.drawn for n in group.names):
                continue
            cols = [view.params.get(n) for n in group.names]
            if any(c is None or np.isnan(c[i]) for c in cols):
                out.append([memo.drawn[n] for n in group.names])
        if not out:
            return None
        internal = np.array(out, dtype=float)
        inside: np.ndarray = internal[group.space.contains(internal)]
        return inside if inside.size else None

    def _choose_univariate(
        self,
        view: TrialsView,
        names: Sequence[str],
        space: UnitSpace,
        below: ParzenEstimator,
        above: ParzenEstimator,
        cond: Mapping[str, tuple[AnyDistribution, float]],
        dedup: bool,
        drawn: np.ndarray | None,
    ) -> np.ndarray:
        """Univariate TPE: each parameter takes its own best candidate (rows: best combination first)."""
        cand = below.sample(self._rng, self._n_candidates, independent=True)
        per_dim = below.marginal_log_pdf(cand) - above.marginal_log_pdf(cand)
        order = np.argsort(-per_dim, axis=0, kind="stable")
        cols = np.arange(space.d)
        ranked = cand[order, cols]
        total = per_dim[order, cols].sum(axis=1)

        def score(c: np.ndarray) -> np.ndarray:
            out: np.ndarray = (below.marginal_log_pdf(c) - above.marginal_log_pdf(c)).sum(axis=1)
            return out

        return choose_candidate(view, names, space, ranked, total, score, cond, dedup, self._rng, drawn)

    def _warn_random(self, names: Sequence[str]) -> None:
        fresh = [n for n in names if n not in self._warned]
        if fresh:
            self._warned.update(fresh)
            warnings.warn(
                f"TPESampler: no finished trial has {fresh} inside its current range yet; sampling it "
                "uniformly at random for now (pass warn_independent_sampling=False to silence this)",
                stacklevel=4,
            )

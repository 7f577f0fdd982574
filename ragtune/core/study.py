"""A study: one search over a space, its trials, and the ways to create, load and delete it."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ragtune.core.dataframe import DEFAULT_ATTRS
from ragtune.core.directions import StudyDirection, parse_directions, to_loss
from ragtune.core.distributions import AnyDistribution
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trial import Trial, as_value_tuple
from ragtune.core.trial_state import TrialState
from ragtune.core.trials_view import TrialsView, TrialsViewBuilder
from ragtune.exceptions import (
    ConfigError,
    DuplicatedStudyError,
    NoCompletedTrials,
    ObjectiveValueError,
    StudyDirectionsMismatch,
    UpdateFinishedTrialError,
    ValidationError,
)

if TYPE_CHECKING:
    import pandas as pd

    from ragtune.pruners.base import Pruner
    from ragtune.samplers.base import Sampler
    from ragtune.storage.base import Storage

_log = logging.getLogger("ragtune.study")


def _base_after_trial() -> object:
    from ragtune.samplers.base import Sampler

    return Sampler.after_trial


_BASE_AFTER_TRIAL = _base_after_trial()

ObjectiveFunc = Callable[[Trial], "float | Sequence[float]"]
Callback = Callable[["Study", FrozenTrial], None]


def default_pruner(n_objectives: int) -> Pruner:
    """The pruner a study gets when none is given: ``MedianPruner()`` with one objective (what Optuna
    users expect: a trial that calls ``should_prune()`` stops when its reported value is worse than
    the median of completed trials at that step, after 5 completed trials), ``ParetoPruner()`` with
    several (stops a trial that another one confidently dominates at its step). A trial that never
    calls ``should_prune()`` is never pruned; pass ``pruner=NopPruner()`` to turn pruning off."""
    from ragtune.pruners import MedianPruner, ParetoPruner

    return MedianPruner() if n_objectives == 1 else ParetoPruner()


class Study:
    """Trials of one search, backed by a storage; samplers and pruners plug in."""

    def __init__(
        self,
        study_name: str,
        storage: Storage,
        *,
        sampler: Sampler | None = None,
        pruner: Pruner | None = None,
    ) -> None:
        from ragtune.samplers import default_sampler

        self.study_name = study_name
        self._storage = storage
        self._study_id = storage.get_study_id_from_name(study_name)
        self.directions: tuple[StudyDirection, ...] = storage.get_study_directions(self._study_id)
        self.sampler: Sampler = sampler if sampler is not None else default_sampler()
        self.pruner: Pruner = pruner if pruner is not None else default_pruner(len(self.directions))
        self._builder = TrialsViewBuilder(self.directions, storage.get_trial)
        self._stop_flag = threading.Event()

    # -- basic facts -----------------------------------------------------------------------
    @property
    def storage(self) -> Storage:
        return self._storage

    @property
    def direction(self) -> StudyDirection:
        if len(self.directions) != 1:
            raise ValidationError("this study has several objectives; use study.directions")
        return self.directions[0]

    @property
    def user_attrs(self) -> dict[str, Any]:
        return self._storage.get_study_user_attrs(self._study_id)

    @property
    def system_attrs(self) -> dict[str, Any]:
        return self._storage.get_study_system_attrs(self._study_id)

    def set_user_attr(self, key: str, value: Any) -> None:
        self._storage.set_study_user_attr(self._study_id, key, value)

    def set_system_attr(self, key: str, value: Any) -> None:
        self._storage.set_study_system_attr(self._study_id, key, value)

    @property
    def metric_names(self) -> list[str] | None:
        """The objective names set with :meth:`set_metric_names` (``None`` until set), as in Optuna."""
        from ragtune.core.metric_names import stored_metric_names

        return stored_metric_names(self.system_attrs, len(self.directions))

    def set_metric_names(self, metric_names: list[str]) -> None:
        """Name each objective (``["ndcg@10", "latency_p95_ms"]``); tables, exports and the TUI use them."""
        from ragtune.core.metric_names import METRIC_NAMES_ATTR, check_metric_names

        self.set_system_attr(METRIC_NAMES_ATTR, check_metric_names(metric_names, len(self.directions)))

    @property
    def trials(self) -> list[FrozenTrial]:
        return self.get_trials()

    def get_trials(self, *, states: Container[TrialState] | None = None) -> list[FrozenTrial]:
        return self._storage.get_all_trials(self._study_id, states=states)

    def trials_view(self) -> TrialsView:
        """The study's trials as a read-only view with arrays (what samplers and pruners read),
        brought up to date with the storage incrementally."""
        delta = self._storage.read_trials_since(self._study_id, self._builder.cursor)
        return self._builder.build(delta.finished, delta.unfinished, delta.cursor)

    # -- best trials -----------------------------------------------------------------------
    def _complete_feasible(self) -> list[FrozenTrial]:
        done = self.get_trials(states=(TrialState.COMPLETE,))
        if any(t.constraints is not None for t in done):
            done = [t for t in done if t.feasible]
        return done

    @property
    def best_trials(self) -> list[FrozenTrial]:
        """The Pareto front of COMPLETE trials (only feasible ones when constraints were set)."""
        from ragtune.core.pareto import is_pareto_front

        done = self._complete_feasible()
        if not done:
            return []
        losses = to_loss(np.array([t.values for t in done], dtype=float), self.directions)
        mask = is_pareto_front(losses)
        return [t for t, keep in zip(done, mask, strict=True) if keep]

    @property
    def best_trial(self) -> FrozenTrial:
        """The best COMPLETE (feasible) trial of a single-objective study."""
        if len(self.directions) != 1:
            raise ValidationError(
                "best_trial is for single-objective studies; use study.best_trials (the Pareto front)"
            )
        done = self._complete_feasible()
        if not done:
            raise NoCompletedTrials(
                f"study {self.study_name!r} has no completed (feasible) trial yet; run optimize() first"
            )
        sign = 1.0 if self.directions[0] is StudyDirection.MINIMIZE else -1.0
        return min(done, key=lambda t: (sign * t.values[0], t.number))  # type: ignore[index]

    @property
    def best_value(self) -> float:
        v = self.best_trial.values
        assert v is not None
        return v[0]

    @property
    def best_params(self) -> dict[str, Any]:
        return dict(self.best_trial.params)

    # -- ask / tell ------------------------------------------------------------------------
    def ask(self, fixed_distributions: Mapping[str, AnyDistribution] | None = None) -> Trial:
        """Start a trial (an enqueued one first) and return it for the caller to evaluate.

        ``fixed_distributions`` (name -> distribution) are suggested right away, so the returned
        trial's ``params`` already hold a value for each, as with Optuna's ``ask``.
        """
        if self._storage.heartbeat_interval is not None:
            self._storage.fail_stale_trials(self._study_id)
        view = self.trials_view()
        frozen = self._storage.claim_waiting_trial(self._study_id)
        fixed: dict[str, Any] | None = None
        if frozen is not None:
            fixed = dict(frozen.params)
            fixed.update(frozen.system_attrs.get("fixed_params", {}))
        else:
            frozen = self._storage.create_new_trial(self._study_id)
        trial = Trial(
            self,
            frozen.trial_id,
            frozen.number,
            view,
            fixed_params=fixed,
            datetime_start=frozen.datetime_start,
        )
        for name, distribution in (fixed_distributions or {}).items():
            trial._suggest(name, distribution)
        return trial

    def tell(
        self,
        trial: Trial | int,
        values: float | Sequence[float] | None = None,
        state: TrialState | None = None,
        skip_if_finished: bool = False,
        *,
        fail_reason: str | None = None,
    ) -> FrozenTrial:
        """Finish a trial. Values that cannot be recorded (NaN, wrong count) mark it FAIL, with why.

        Telling a finished trial again is an error, unless ``skip_if_finished=True``: then nothing
        changes and the stored trial is returned (as in Optuna).
        """
        from ragtune.core.fixed_trial import FixedTrial

        if isinstance(trial, FixedTrial):
            raise ValidationError("a FixedTrial belongs to no study; tell() takes a trial from study.ask()")
        trial_id = (
            trial.trial_id
            if isinstance(trial, Trial)
            else self._storage.get_trial_id_from_number(self._study_id, trial)
        )
        if state is None:
            state = TrialState.COMPLETE if values is not None else TrialState.FAIL
        recorded: tuple[float, ...] | None = None
        if state is TrialState.COMPLETE:
            try:
                recorded = self._check_values(values)
            except ObjectiveValueError as e:
                state, fail_reason = TrialState.FAIL, str(e)
                _log.warning("trial %s failed: %s", getattr(trial, "number", trial), e)
        elif state is TrialState.PRUNED and values is not None:
            recorded = None
        elif state not in (TrialState.PRUNED, TrialState.FAIL):
            raise ValidationError(f"tell() state must be COMPLETE, PRUNED or FAIL, but got {state.name}")
        try:
            frozen = self._storage.finish_trial(trial_id, state, recorded, fail_reason)
        except UpdateFinishedTrialError:
            stored = self._storage.get_trial(trial_id)
            if not stored.state.is_finished():
                raise
            if skip_if_finished:
                _log.info("trial %d is already %s; tell() skipped", stored.number, stored.state.name)
                return stored
            raise UpdateFinishedTrialError(
                f"trial {stored.number} is already {stored.state.name} and cannot be told again; "
                "pass skip_if_finished=True to ignore repeated tells"
            ) from None
        if type(self.sampler).after_trial is not _BASE_AFTER_TRIAL:
            self.sampler.after_trial(self.trials_view(), frozen)
        return frozen

    def _check_values(self, values: Any) -> tuple[float, ...]:
        if values is None:
            raise ObjectiveValueError("the objective returned None; return a number per objective")
        got = as_value_tuple(values, what="objective values")
        if len(got) != len(self.directions):
            raise ObjectiveValueError(
                f"the objective returned {len(got)} values, but the study has {len(self.directions)} "
                f"directions; return one value per direction"
            )
        return got

    def enqueue_trial(
        self,
        params: Mapping[str, Any],
        *,
        user_attrs: Mapping[str, Any] | None = None,
        skip_if_exists: bool = False,
    ) -> None:
        """Queue a trial whose suggest calls return ``params`` (others are sampled).

        With ``skip_if_exists=True`` nothing is queued when a trial with exactly these params
        already ran or runs (its params equal ``params``) or is queued with them.
        """
        if skip_if_exists:
            wanted = dict(params)
            for t in self.get_trials():
                if dict(t.params) == wanted or t.system_attrs.get("fixed_params") == wanted:
                    return
        template = FrozenTrial(
            number=-1,
            state=TrialState.WAITING,
            user_attrs=dict(user_attrs or {}),
            system_attrs={"fixed_params": dict(params)},
        )
        self._storage.create_new_trial(self._study_id, template)

    def add_trial(self, trial: FrozenTrial) -> None:
        """Store an already-evaluated trial (e.g. from :func:`create_trial` or another study).

        The trial is checked first (as in Optuna): a COMPLETE trial needs one finite value per
        objective, other states no values, and params must lie in their distributions. Missing
        start/end times of a finished trial become the time it is added.
        """
        from ragtune.core.create_trial import validate_for_study

        self._storage.create_new_trial(self._study_id, validate_for_study(trial, self.directions))

    def add_trials(self, trials: Iterable[FrozenTrial]) -> None:
        """:meth:`add_trial` for each trial, in order."""
        for t in trials:
            self.add_trial(t)

    # -- running ---------------------------------------------------------------------------
    def optimize(
        self,
        func: ObjectiveFunc,
        n_trials: int | None = None,
        timeout: float | None = None,
        n_jobs: int = 1,
        catch: Iterable[type[Exception]] | type[Exception] = (),
        callbacks: Sequence[Callback] | None = None,
        gc_after_trial: bool = False,
        show_progress_bar: bool = False,
    ) -> None:
        """Run ``func`` on new trials until ``n_trials`` ran, ``timeout`` seconds passed or stop().

        ``catch``: exceptions that mark the trial FAIL (reason stored, one warning logged) and go on;
        any other exception is stored as FAIL too and then raised. ``gc_after_trial=True`` runs a
        full garbage collection (``gc.collect()``) after each trial. ``show_progress_bar``: a progress
        bar on stdout (one plain line per trial when stdout is not a terminal).
        """
        from ragtune.core.optimize import run_optimize

        if not show_progress_bar:
            run_optimize(
                self,
                func,
                n_trials=n_trials,
                timeout=timeout,
                n_jobs=n_jobs,
                catch=catch,
                callbacks=callbacks,
                gc_after_trial=gc_after_trial,
            )
            return
        from ragtune.core.objective_names import study_objective_names
        from ragtune.core.progress import TrialProgress

        names = list(study_objective_names(self))
        with TrialProgress(n_trials, names, self.directions, history=self.trials) as progress:
            run_optimize(
                self,
                func,
                n_trials=n_trials,
                timeout=timeout,
                n_jobs=n_jobs,
                catch=catch,
                callbacks=[*(callbacks or ()), progress],
                gc_after_trial=gc_after_trial,
            )

    def stop(self) -> None:
        """Ask optimize() to start no new trial; running ones finish."""
        self._stop_flag.set()

    @property
    def stop_requested(self) -> bool:
        """True once :meth:`stop` was called, until the next run starts (:meth:`begin_run`)."""
        return self._stop_flag.is_set()

    def begin_run(self) -> None:
        """Forget an earlier :meth:`stop`: called by ``optimize()`` and executors when a run starts."""
        self._stop_flag.clear()

    def n_trials(self, *, states: Container[TrialState] | None = None) -> int:
        """How many trials the study holds (in ``states``), counted by the storage."""
        return self._storage.get_n_trials(self._study_id, states=states)

    def trials_dataframe(
        self,
        attrs: Sequence[str] = DEFAULT_ATTRS,
        multi_index: bool = False,
        *,
        states: Container[TrialState] | None = None,
    ) -> pd.DataFrame:
        """One row per trial, as Optuna's: ``attrs`` picks the trial fields, ``multi_index=True``
        gives ``(params, x)`` column pairs instead of ``params_x``. Objective columns use the metric
        names when set. ragtune's own bookkeeping is not a column (see ``ragtune.objectives.trial_results``).
        """
        from ragtune.core.dataframe import trials_to_dataframe

        return trials_to_dataframe(
            self.get_trials(states=states),
            self.directions,
            attrs=attrs,
            multi_index=multi_index,
            metric_names=self.metric_names,
        )

    def __repr__(self) -> str:
        return f"Study(name={self.study_name!r}, storage={self._storage.describe()})"


def _resolve_storage(storage: Storage | str | None) -> Storage:
    from ragtune.storage import get_storage

    return get_storage(storage)


def create_study(
    *,
    storage: Storage | str | None = None,
    sampler: Sampler | None = None,
    pruner: Pruner | None = None,
    study_name: str | None = None,
    direction: str | StudyDirection | None = None,
    directions: Sequence[str | StudyDirection] | None = None,
    load_if_exists: bool = False,
) -> Study:
    """Create a study (or load it with ``load_if_exists=True`` when directions match)."""
    dirs = parse_directions(direction, directions)
    if study_name is not None and (not isinstance(study_name, str) or not study_name.strip()):
        raise ConfigError(
            f"study_name must be a non-empty string, but got {study_name!r}; "
            "pass a name, or leave study_name out to get a generated one"
        )
    backend = _resolve_storage(storage)
    name = study_name or f"study-{dt.datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
    try:
        backend.create_new_study(dirs, name)
    except DuplicatedStudyError:
        if not load_if_exists:
            raise
        stored = backend.get_study_directions(backend.get_study_id_from_name(name))
        if stored != dirs:
            raise StudyDirectionsMismatch(
                f"study {name!r} exists with directions {[d.label for d in stored]}, but "
                f"{[d.label for d in dirs]} were given; use the same directions or another study name"
            ) from None
    return Study(name, backend, sampler=sampler, pruner=pruner)


def load_study(
    *,
    study_name: str,
    storage: Storage | str,
    sampler: Sampler | None = None,
    pruner: Pruner | None = None,
) -> Study:
    """Open an existing study; :class:`~ragtune.exceptions.StudyNotFound` when there is none."""
    return Study(study_name, _resolve_storage(storage), sampler=sampler, pruner=pruner)


def delete_study(*, study_name: str, storage: Storage | str) -> None:
    """Delete a study and all its trials."""
    backend = _resolve_storage(storage)
    backend.delete_study(backend.get_study_id_from_name(study_name))

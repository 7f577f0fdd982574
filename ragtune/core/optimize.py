"""The optimisation loop behind ``Study.optimize``: threads, timeouts, catch, callbacks, heartbeats."""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ragtune.core.failures import FAIL_AT_ATTR, failure_location, failure_reason, one_line
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trial_state import TrialState
from ragtune.exceptions import TrialPruned, ValidationError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ragtune.core.study import Callback, ObjectiveFunc, Study
    from ragtune.core.trial import Trial

_log = logging.getLogger("ragtune.optimize")


class _Budget:
    """Hands out trial slots until n_trials, the timeout or a stop request says no more."""

    def __init__(self, study: Study, n_trials: int | None, timeout: float | None) -> None:
        self._study = study
        self._left = n_trials
        self._deadline = None if timeout is None else time.monotonic() + timeout
        self._lock = threading.Lock()
        self.error: BaseException | None = None

    def take(self) -> bool:
        with self._lock:
            if self.error is not None or self._study.stop_requested:
                return False
            if self._deadline is not None and time.monotonic() >= self._deadline:
                return False
            if self._left is not None:
                if self._left <= 0:
                    return False
                self._left -= 1
            return True


@contextmanager
def _heartbeat(study: Study, trial: Trial) -> Iterator[None]:
    interval = study.storage.heartbeat_interval
    if interval is None:
        yield
        return
    done = threading.Event()

    def beat() -> None:
        while not done.wait(interval):
            try:
                study.storage.record_heartbeat(trial.trial_id)
            except Exception:  # a missed beat is retried next interval
                _log.debug("heartbeat for trial %s failed", trial.number, exc_info=True)

    study.storage.record_heartbeat(trial.trial_id)
    thread = threading.Thread(target=beat, name=f"ragtune-heartbeat-{trial.number}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def run_trial(study: Study, func: ObjectiveFunc, catch: tuple[type[Exception], ...]) -> FrozenTrial:
    """Ask, evaluate ``func`` and tell; exceptions not in ``catch`` propagate after the FAIL is stored."""
    trial = study.ask()
    with _heartbeat(study, trial):
        try:
            result = func(trial)
        except TrialPruned:
            return study.tell(trial, state=TrialState.PRUNED)
        except Exception as e:
            reason = failure_reason(e)
            location = failure_location(e)
            if location is not None:
                trial.set_system_attr(FAIL_AT_ATTR, location)
            frozen = study.tell(trial, state=TrialState.FAIL, fail_reason=reason)
            if isinstance(e, catch):
                _log.warning(
                    "%s", one_line(trial.number, reason, location), extra={"ragtune_trial_failed": True}
                )
                return frozen
            raise
    frozen = study.tell(trial, result, TrialState.COMPLETE)
    if frozen.state is TrialState.COMPLETE:
        _log.info("trial %d finished with values %s", frozen.number, frozen.values)
    return frozen


def run_optimize(
    study: Study,
    func: ObjectiveFunc,
    *,
    n_trials: int | None,
    timeout: float | None,
    n_jobs: int,
    catch: Iterable[type[Exception]] | type[Exception],
    callbacks: Sequence[Callback] | None,
    gc_after_trial: bool = False,
) -> None:
    if n_trials is not None and (isinstance(n_trials, bool) or n_trials < 0):
        raise ValidationError(f"n_trials must be >= 0, but got n_trials={n_trials!r}")
    if timeout is not None and timeout < 0:
        raise ValidationError(f"timeout must be >= 0 seconds, but got timeout={timeout!r}")
    if n_jobs == -1:
        n_jobs = os.cpu_count() or 1
    if n_jobs < 1:
        raise ValidationError(f"n_jobs must be >= 1 or -1 (all cores), but got n_jobs={n_jobs}")
    catch_tuple = (catch,) if isinstance(catch, type) else tuple(catch)
    study.begin_run()
    budget = _Budget(study, n_trials, timeout)

    def worker() -> None:
        while budget.take():
            try:
                try:
                    frozen = run_trial(study, func, catch_tuple)
                finally:
                    if gc_after_trial:
                        gc.collect()
                for cb in callbacks or ():
                    cb(study, frozen)
            except BaseException as e:
                with budget._lock:
                    budget.error = budget.error or e
                return

    if n_jobs == 1:
        worker()
    else:
        with ThreadPoolExecutor(max_workers=n_jobs, thread_name_prefix="ragtune-worker") as pool:
            for f in [pool.submit(worker) for _ in range(n_jobs)]:
                f.result()
    if budget.error is not None:
        raise budget.error

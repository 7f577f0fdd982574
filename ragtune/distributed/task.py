"""The code a Ray task runs on a worker: ask -> evaluate in rungs with pruning -> tell, one trial.

Ray keeps its worker processes between tasks, so the Tuner a task builds (study connection,
evaluator, the cache's in-memory indexes and retrievals) stays warm in that process for the next
task of the same run: only the first task of a run on each worker process pays for building it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragtune.distributed.job import RAY_TASK_ATTR, TrialJob, loads_job
from ragtune.log import get_logger

if TYPE_CHECKING:
    from ragtune.core.trial import Trial
    from ragtune.tuner import Tuner

_log = get_logger("ray")

#: run id -> the warm Tuner (and its job) of this worker process; only the latest run is kept.
_WARM: dict[str, tuple[Tuner, TrialJob]] = {}


def run_trial_task(run_id: str, job_ref: list[Any], slot: int) -> tuple[int, int, str]:
    """Run one trial of the job's study; return (trial_id, number, final state name).

    ``job_ref`` is ``[ObjectRef]``: nested, so Ray does not fetch the job when this process holds
    the run's Tuner already.
    """
    warm = _WARM.get(run_id)
    if warm is None:
        import ray

        job = loads_job(ray.get(job_ref[0]))
        for old, _ in _WARM.values():
            old.study.storage.close()
        _WARM.clear()
        warm = _WARM[run_id] = (_build_tuner(job), job)
    return run_one(*warm, slot)


def run_one(tuner: Tuner, job: TrialJob, slot: int) -> tuple[int, int, str]:
    from ragtune.core.optimize import run_trial

    study = tuner.study
    study.sampler.reseed_rng(_slot_seed(job.seed, slot))
    token = f"{job.run_id}:{slot}"

    def objective(trial: Trial) -> tuple[float, ...]:
        # First write after ask: from now on the driver can find this trial if this process dies.
        trial.set_system_attr(RAY_TASK_ATTR, token)
        return tuner.objective(trial)

    frozen = run_trial(study, objective, job.catch)
    return frozen.trial_id, frozen.number, frozen.state.name


def _slot_seed(seed: int | None, slot: int) -> int | None:
    """Each task draws from its own stream: tasks of one run must not repeat each other's draws."""
    if seed is None:
        return None
    import numpy as np

    return int(np.random.SeedSequence([seed, slot]).generate_state(1)[0])


def _build_tuner(job: TrialJob) -> Tuner:
    from ragtune.storage.sql import SQLStorage

    for key, value in job.env.items():
        os.environ.setdefault(key, value)
    storage = SQLStorage(
        job.storage_url,
        heartbeat_interval=job.heartbeat_interval,
        grace_period=job.grace_period,
        requeue_failed=job.requeue_failed,
    )
    return job.tuner_type(**job.tuner_kwargs, storage=storage, load_if_exists=True, cache=_cache_for(job))


def _cache_for(job: TrialJob) -> Any:
    """The job's cache folder when this node can write there, else a folder of this node's own.

    With no shared disk, the driver's absolute path is simply a per-node cache on each node (built
    once per node); where that path cannot be created (another user's home, say), a per-node folder
    under the temp dir is used instead, with a warning.
    """
    if job.cache_root is None:
        return False
    from ragtune.pipelines import Cache

    kwargs: dict[str, Any] = {}
    if job.cache_max_bytes is not None:
        kwargs["max_bytes"] = job.cache_max_bytes
    root = Path(job.cache_root)
    if _writable(root):
        return Cache(root=root, **kwargs)
    fallback = Path(tempfile.gettempdir()) / f"ragtune-cache-{os.getuid() if hasattr(os, 'getuid') else 0}"
    _log.warning("cache folder %s is not writable on this node; using %s", root, fallback)
    return Cache(root=fallback, **kwargs)


def _writable(root: Path) -> bool:
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".probe-"):
            pass
    except OSError:
        return False
    return True

"""What a Ray task needs to rebuild the driver's Tuner: the job, pickled once per run.

The driver pickles a :class:`TrialJob` with cloudpickle (so a pipeline function from a pipeline
file travels by value and no node needs the file), puts the bytes in Ray's object store once, and
every task of the run reads them from there. Samplers and pruners hold locks, which do not pickle;
the job's pickler sends each lock as "a new lock" instead.
"""

from __future__ import annotations

import pickle
import sys
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ragtune.exceptions import ConfigError

if TYPE_CHECKING:
    from ragtune.tuner import Tuner

#: System attr on a trial run by a Ray task: "<run id>:<slot>", so the driver can find the trial of
#: a task whose worker died (and fail it at once) or that Ctrl-C cancelled.
RAY_TASK_ATTR = "ray_task"

#: Pipeline files are run as modules of this prefix (see ragtune.cli.pipeline_file); no worker can
#: import them, so their functions travel by value.
_USER_MODULE_PREFIX = "ragtune_user_pipeline_"

_LOCK_TYPES: dict[type, Any] = {
    type(threading.Lock()): threading.Lock,
    type(threading.RLock()): threading.RLock,
}


@dataclass(slots=True)
class TrialJob:
    """Everything a task needs to run trials of one study (identical for every task of a run)."""

    run_id: str
    storage_url: str
    heartbeat_interval: float | None
    grace_period: float | None
    requeue_failed: bool
    tuner_kwargs: dict[str, Any]
    #: The driver's Tuner class (pickled by reference), so tasks build the same kind of Tuner and
    #: this package never imports ragtune.tuner, which imports it.
    tuner_type: type[Tuner]
    seed: int | None
    catch: tuple[type[Exception], ...]
    #: Absolute cache folder every node uses (its own copy when nodes share no disk); None: no cache.
    cache_root: str | None
    cache_max_bytes: int | None = None
    env: dict[str, str] = field(default_factory=dict)


def dumps_job(job: TrialJob) -> bytes:
    """Pickle ``job`` for the workers (cloudpickle; user pipeline modules by value; locks as new)."""
    import importlib

    cloudpickle: Any = importlib.import_module("ray.cloudpickle")
    fn = job.tuner_kwargs.get("pipeline")
    module = sys.modules.get(getattr(fn, "__module__", "") or "")
    if module is not None and module.__name__.startswith(_USER_MODULE_PREFIX):
        cloudpickle.register_pickle_by_value(module)

    class _JobPickler(cloudpickle.CloudPickler):  # type: ignore[misc]
        def reducer_override(self, obj: Any) -> Any:
            factory = _LOCK_TYPES.get(type(obj))
            if factory is not None:
                return (factory, ())
            return super().reducer_override(obj)

    import io

    buf = io.BytesIO()
    try:
        _JobPickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(job)
    except Exception as e:
        raise ConfigError(
            f"cannot send the tuning job to Ray workers: {type(e).__name__}: {e}; the pipeline "
            "function, dataset, sampler and pruner must be picklable (define them at module level)"
        ) from e
    return buf.getvalue()


def loads_job(data: bytes) -> TrialJob:
    job = pickle.loads(data)
    assert isinstance(job, TrialJob)
    return job

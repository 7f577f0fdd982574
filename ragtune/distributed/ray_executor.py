"""``RayExecutor``: run a Tuner's trials as Ray tasks on a cluster, the study in PostgreSQL.

The driver only places work: it keeps at most ``workers`` tasks in flight and each task asks the
study for a trial, evaluates it in rungs with pruning and tells the result (ragtune.distributed.task),
so the sampler (constant liar included) and the pruner see every worker's trials through PostgreSQL.
A task whose worker process or node dies is noticed through Ray (or, if faster, by the storage's
heartbeat sweep); its trial is failed and re-queued once, and another task takes its place, so the
run still finishes its ``n_trials``. Ctrl-C cancels the tasks and fails their trials.

Importing this module does not import ray; :meth:`RayExecutor.run` does.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragtune.distributed.resources import TrialResources
from ragtune.exceptions import ConfigError, ExecutorError, MissingDependencyError, RagtuneError
from ragtune.log import get_logger

if TYPE_CHECKING:
    from ragtune.core.study import Callback, Study
    from ragtune.tuner import Tuner

_log = get_logger("ray")

_INSTALL_HINT = "pip install 'ragtune[ray]'"
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def import_ray() -> Any:
    """``import ray``, or one clear line saying how to install it."""
    try:
        import ray
    except ImportError as e:
        raise MissingDependencyError(
            f"--executor ray needs the ray package, which is not installed ({e}); install it with "
            f"{_INSTALL_HINT} on the driver and every node"
        ) from None
    return ray


def require_postgres(storage_url: str | None) -> str:
    """The storage URL when it is PostgreSQL; a clear error otherwise."""
    from ragtune.storage.urls import mask_url, url_scheme

    if storage_url is None or url_scheme(storage_url) != "postgresql":
        where = "in-memory storage" if storage_url is None else mask_url(storage_url)
        raise ConfigError(
            f"--executor ray needs PostgreSQL storage, which every node can reach, but got {where}; use "
            "--storage postgresql+psycopg://user@host:5432/db (DuckDB allows one process)"
        )
    return storage_url


class RayExecutor:
    """Place a Tuner's trials on a Ray cluster: ``Tuner(..., executor=RayExecutor(workers=4))``.

    Args:
        address: the cluster (``"HOST:PORT"`` of ``ray start --head``, ``"auto"``, ``"ray://..."``);
            ``None`` uses ``RAY_ADDRESS`` or, if unset, starts a local Ray on this machine (loopback).
            An already initialised Ray (``ray.init`` by the caller) is used as it is.
        workers: trials running at once (default: the cluster's CPUs / CPUs per trial).
        resources: per-trial requests, :class:`TrialResources` or a dict such as
            ``{"cpus": 1, "gpus": 0.5, "memory_mb": 2048}`` (other keys are custom Ray resources).
        cache: the content cache folder on every node. ``None`` (default): the Tuner's cache folder
            as an absolute path; nodes sharing that disk share the index-time work, the others build
            their own copy at the same path (a per-node folder in the temp dir where that path is not
            writable). ``False``: no cache.
        runtime_env: passed to ``ray.init`` (for example to ship code with ``working_dir``).
        max_worker_deaths: give up after this many worker deaths in a row with no trial finishing
            (default ``2 * workers + 1``), instead of re-running trials that kill their worker.
    """

    def __init__(
        self,
        address: str | None = None,
        workers: int | None = None,
        *,
        resources: TrialResources | Mapping[str, Any] | None = None,
        cache: str | Path | bool | None = None,
        runtime_env: Mapping[str, Any] | None = None,
        max_worker_deaths: int | None = None,
    ) -> None:
        if workers is not None and (isinstance(workers, bool) or workers < 1):
            raise ConfigError(f"workers must be >= 1, but got workers={workers!r}")
        self.address = address
        self.workers = workers
        self.resources = (
            resources if isinstance(resources, TrialResources) else TrialResources.parse(resources or {})
        )
        self.cache = cache
        self.runtime_env = dict(runtime_env) if runtime_env else None
        self.max_worker_deaths = max_worker_deaths
        self._owns_ray = False

    def __repr__(self) -> str:
        return f"RayExecutor(address={self.address!r}, workers={self.workers!r}, resources={self.resources})"

    # -- connecting ----------------------------------------------------------------------------
    def _address(self) -> str | None:
        return self.address if self.address is not None else os.environ.get("RAY_ADDRESS") or None

    def prepare(self) -> None:
        """Before ray is imported: a loopback cluster (or a new local one) stays on loopback.

        Ray replaces a loopback address by the machine's external one unless told not to (it reads
        the setting once, on import); a cluster started on 127.0.0.1 is only reachable there.
        """
        address = self._address()
        if address is None or _host_of(address) in _LOOPBACK:
            os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")

    def precheck(self) -> None:
        """Fail fast, before a study is created: ray importable, something listening at the address."""
        self.prepare()
        import_ray()
        address = self._address()
        host = _host_of(address)
        if address is not None and host is not None:
            _probe(address, host)

    def connect(self) -> Any:
        """Import ray and connect to (or start) the cluster; one clear error when that fails."""
        self.prepare()
        address = self._address()
        host = _host_of(address)
        ray = import_ray()
        if ray.is_initialized():
            return ray
        if address is not None and host is not None:
            _probe(address, host)
        import logging

        kwargs: dict[str, Any] = {
            "log_to_driver": False,
            "logging_level": logging.WARNING,
            "runtime_env": self.runtime_env,
        }
        try:
            if address is None:
                ray.init(include_dashboard=False, **kwargs)
            else:
                ray.init(address=address, **kwargs)
        except RagtuneError:
            raise
        except Exception as e:
            raise ExecutorError(
                f"cannot connect to the Ray cluster at {address or 'a new local instance'}: "
                f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}; check --ray-address "
                "(the address `ray start --head` printed)"
            ) from None
        self._owns_ray = True
        return ray

    def disconnect(self, ray: Any) -> None:
        if self._owns_ray:
            ray.shutdown()
            self._owns_ray = False

    # -- running -------------------------------------------------------------------------------
    def run(
        self,
        tuner: Tuner,
        *,
        n_trials: int | None,
        timeout: float | None,
        callbacks: Sequence[Callback] | None = None,
        catch: tuple[type[Exception], ...] = (),
    ) -> None:
        """Run trials of ``tuner``'s study on the cluster until ``n_trials`` finished or ``timeout``."""
        from ragtune.distributed.job import TrialJob, dumps_job

        self.prepare()
        import_ray()
        storage_url = require_postgres(tuner.storage_url)
        if n_trials is not None and (isinstance(n_trials, bool) or n_trials < 0):
            raise ConfigError(f"n_trials must be >= 0, but got n_trials={n_trials!r}")
        if n_trials is None and timeout is None:
            raise ConfigError("--executor ray needs n_trials or a timeout to know when to stop")
        study = tuner.study
        storage = study.storage
        job = TrialJob(
            run_id=uuid.uuid4().hex[:12],
            storage_url=storage_url,
            heartbeat_interval=storage.heartbeat_interval,
            grace_period=getattr(storage, "grace_period", None),
            requeue_failed=storage.requeue_failed,
            tuner_kwargs=dict(tuner.setup),
            tuner_type=type(tuner),
            seed=tuner.setup.get("seed"),
            catch=catch,
            **self._cache_plan(tuner),
        )
        data = dumps_job(job)
        # Ray prints the raylet's messages (a worker died, ...) on stdout; they belong on stderr,
        # where they do not mix with a command's output (``--json``).
        with contextlib.redirect_stdout(sys.stderr):
            self._run(tuner, job.run_id, data, n_trials=n_trials, timeout=timeout, callbacks=callbacks)

    def _run(
        self,
        tuner: Tuner,
        run_id: str,
        data: bytes,
        *,
        n_trials: int | None,
        timeout: float | None,
        callbacks: Sequence[Callback] | None,
    ) -> None:
        study = tuner.study
        ray = self.connect()
        try:
            workers = self.workers or self._default_workers(ray)
            self.resources.check_against(ray.cluster_resources())
            runner = _Runner(
                ray,
                study,
                run_id,
                [ray.put(data)],
                self.resources.ray_options(),
                workers=workers,
                n_trials=n_trials,
                timeout=timeout,
                callbacks=list(callbacks or ()),
                max_deaths=self.max_worker_deaths or 2 * workers + 1,
                heartbeat_grace=(study.storage.heartbeat_interval or 0.0) * 3,
            )
            runner.run()
        finally:
            self.disconnect(ray)

    def _cache_plan(self, tuner: Tuner) -> dict[str, Any]:
        """The cache folder every node uses, as an absolute path (see ``cache`` in the class doc)."""
        cache = tuner.evaluator.cache
        if self.cache is False or (self.cache is None and cache is None):
            return {"cache_root": None}
        root = Path(self.cache) if isinstance(self.cache, str | Path) else Path(cache.root)  # type: ignore[union-attr]
        return {
            "cache_root": str(root.expanduser().resolve()),
            "cache_max_bytes": cache.max_bytes if cache is not None else None,
        }

    def _default_workers(self, ray: Any) -> int:
        cpus = float(ray.cluster_resources().get("CPU", 1.0))
        per = self.resources.cpus or 1.0
        return max(1, int(cpus // per))


class _Runner:
    """The driver's loop: keep ``workers`` tasks in flight until the budget is spent."""

    def __init__(
        self,
        ray: Any,
        study: Study,
        run_id: str,
        job_ref: list[Any],
        options: dict[str, Any],
        *,
        workers: int,
        n_trials: int | None,
        timeout: float | None,
        callbacks: list[Callback],
        max_deaths: int,
        heartbeat_grace: float,
    ) -> None:
        from ragtune.distributed.task import run_trial_task

        self.ray = ray
        self.study = study
        self.study_id = study.storage.get_study_id_from_name(study.study_name)
        self.run_id = run_id
        self.job_ref = job_ref
        self.remote = ray.remote(run_trial_task).options(max_retries=0, retry_exceptions=False, **options)
        self.workers = workers
        self.n_trials = n_trials
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.callbacks = callbacks
        self.max_deaths = max_deaths
        self.heartbeat_grace = heartbeat_grace
        self.inflight: dict[Any, str] = {}  # ObjectRef -> token
        self.finished = 0
        self.slot = 0
        self.deaths_in_a_row = 0
        self.unfound_deaths = 0

    def _may_start(self) -> bool:
        if self.study.stop_requested:
            return False
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return False
        return self.n_trials is None or self.finished + len(self.inflight) < self.n_trials

    def _submit(self) -> None:
        slot = self.slot
        self.slot += 1
        ref = self.remote.remote(self.run_id, self.job_ref, slot)
        self.inflight[ref] = f"{self.run_id}:{slot}"

    def run(self) -> None:
        self.study.begin_run()
        try:
            while True:
                while len(self.inflight) < self.workers and self._may_start():
                    self._submit()
                if not self.inflight:
                    break
                ready, _ = self.ray.wait(list(self.inflight), num_returns=1, timeout=1.0)
                for ref in ready:
                    self._collect(ref)
        except BaseException as e:
            why = "the driver was interrupted (Ctrl-C)" if isinstance(e, KeyboardInterrupt) else str(e)
            self._cancel_all(f"cancelled: {why}")
            raise
        if self.unfound_deaths:
            self._sweep_stale()

    def _collect(self, ref: Any) -> None:
        token = self.inflight.pop(ref)
        exceptions = self.ray.exceptions
        try:
            trial_id, number, state = self.ray.get(ref)
        except exceptions.RayTaskError as e:  # the trial's code raised (it is stored as FAIL)
            cause = e.cause if isinstance(getattr(e, "cause", None), BaseException) else e
            raise cause from None
        except exceptions.RayError as e:  # the worker process or node died, or Ray lost the task
            self._worker_died(token, e)
            return
        self.finished += 1
        self.deaths_in_a_row = 0
        frozen = self.study.storage.get_trial(trial_id)
        _log.info("trial %d finished as %s", number, state)
        for cb in self.callbacks:
            cb(self.study, frozen)

    def _worker_died(self, token: str, error: BaseException) -> None:
        from ragtune.distributed.recovery import fail_trial, running_trials_of

        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        reason = f"the Ray worker running it died ({type(error).__name__}: {first[:300]})"
        trial = running_trials_of(self.study.storage, self.study_id, {token}).get(token)
        if trial is not None:
            fail_trial(self.study.storage, self.study_id, trial, reason, requeue=True)
        else:  # died before its trial was marked (during ask): the heartbeat sweep fails it
            self.unfound_deaths += 1
            _log.warning("a Ray task died before its trial was marked: %s", reason)
        self.deaths_in_a_row += 1
        if self.deaths_in_a_row > self.max_deaths:
            self._cancel_all("cancelled: Ray workers kept dying")
            raise ExecutorError(
                f"{self.deaths_in_a_row} Ray worker deaths in a row with no trial finishing (last: "
                f"{reason}); look at the Ray logs (worker out of memory?), then resume the study"
            )

    def _cancel_all(self, reason: str) -> None:
        from ragtune.distributed.recovery import fail_trial, running_trials_of

        tokens = set(self.inflight.values())
        for ref in list(self.inflight):
            try:
                self.ray.cancel(ref, force=True)
            except Exception:  # finished meanwhile, or Ray is gone
                _log.debug("cancel failed", exc_info=True)
        self.inflight.clear()
        if not tokens:
            return
        try:
            for trial in running_trials_of(self.study.storage, self.study_id, tokens).values():
                fail_trial(self.study.storage, self.study_id, trial, reason, requeue=False)
        except Exception:  # the storage is gone too: the heartbeat sweep fails them later
            _log.warning("could not mark the cancelled trials failed", exc_info=True)

    def _sweep_stale(self) -> None:
        """Tasks that died inside ask left a RUNNING trial without a token: wait (bounded) for its
        heartbeat to go stale and let the storage's sweep fail and re-queue it."""
        storage = self.study.storage
        deadline = time.monotonic() + self.heartbeat_grace
        failed = 0
        while failed < self.unfound_deaths and time.monotonic() < deadline:
            failed += len(storage.fail_stale_trials(self.study_id))
            time.sleep(1.0)


def _host_of(address: str | None) -> str | None:
    if address is None or address == "auto" or "://" in address:
        return None
    host, _, port = address.rpartition(":")
    return host.strip("[]") if host and port.isdigit() else None


def _probe(address: str, host: str) -> None:
    """Fail in seconds, with one line, when nothing listens at ``address``."""
    port = int(address.rpartition(":")[2])
    try:
        with socket.create_connection((host, port), timeout=3.0):
            pass
    except OSError as e:
        raise ExecutorError(
            f"cannot reach the Ray cluster at {address} ({e.strerror or e}); start one with "
            "`ray start --head` there, or fix --ray-address (HOST:PORT as `ray start` printed it)"
        ) from None

"""``SQLStorage``: the public storage class for DuckDB files and PostgreSQL servers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Concatenate, Generic, Literal, ParamSpec, TypeVar, overload

import sqlalchemy as sa

from ragtune.exceptions import RagtuneError, StorageError, ValidationError
from ragtune.storage.base import Storage
from ragtune.storage.sql.connect import (
    Target,
    connection_error,
    create_engine,
    operation_error,
    parse_target,
)
from ragtune.storage.sql.duckdb_file import DuckDBFile
from ragtune.storage.sql.duckdb_store import DuckDBStore
from ragtune.storage.sql.migrations import ensure_schema
from ragtune.storage.sql.postgres import PostgresStore

_DEFAULT_PG_HEARTBEAT = 10.0
P = ParamSpec("P")
R = TypeVar("R")


class _Forward(Generic[P, R]):
    """A Storage method of :class:`SQLStorage`: the backend's method of the same name, called
    inside the storage's error boundary (its signature is the Storage method's)."""

    def __init__(self, method: Callable[Concatenate[Any, P], R]) -> None:
        self._name = method.__name__

    def __call__(self, storage: SQLStorage, *args: P.args, **kwargs: P.kwargs) -> R:
        """Called on the class (``SQLStorage.get_trial(storage, trial_id)``), as a method would be."""
        return self.__get__(storage)(*args, **kwargs)

    @overload
    def __get__(self, storage: None, owner: type | None = None) -> _Forward[P, R]: ...

    @overload
    def __get__(self, storage: SQLStorage, owner: type | None = None) -> Callable[P, R]: ...

    def __get__(self, storage: SQLStorage | None, owner: type | None = None) -> Any:
        if storage is None:  # looked up on the class
            return self
        name = self._name

        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            with storage._boundary():
                result: R = getattr(storage._b, name)(*args, **kwargs)
                return result

        return call


class SQLStorage(Storage):
    """Studies in a DuckDB file (one process) or a PostgreSQL database (many workers).

    ``SQLStorage("duckdb:///results.duckdb")`` or
    ``SQLStorage("postgresql+psycopg://user:password@host:5432/db")``.

    Args:
        heartbeat_interval: seconds between heartbeats of running trials. ``"auto"`` means 10 s on
            PostgreSQL and off (``None``) on DuckDB, where one process owns the file.
        grace_period: a RUNNING trial whose last heartbeat is older than this is failed by the
            next worker that asks for a trial (default: twice ``heartbeat_interval``).
        requeue_failed: queue such a trial once more, as WAITING with the same params.
        engine_kwargs: passed to :func:`sqlalchemy.create_engine` (pool sizes, ``connect_args``).
    """

    def __init__(
        self,
        url: str,
        *,
        heartbeat_interval: float | None | Literal["auto"] = "auto",
        grace_period: float | None = None,
        requeue_failed: bool = True,
        engine_kwargs: dict[str, Any] | None = None,
    ) -> None:
        self._target: Target = parse_target(url)
        postgres = self._target.backend == "postgresql"
        interval = (
            (_DEFAULT_PG_HEARTBEAT if postgres else None)
            if heartbeat_interval == "auto"
            else heartbeat_interval
        )
        if isinstance(interval, bool) or (interval is not None and not interval > 0):
            raise ValidationError(f"heartbeat_interval must be > 0 seconds or None, but got {interval!r}")
        if interval is not None and not postgres:
            raise ValidationError(
                "heartbeat_interval is for PostgreSQL: a DuckDB file has one process, which fails the "
                "trials a crashed run left RUNNING when it opens the file; drop heartbeat_interval"
            )
        grace = grace_period if grace_period is not None else 2 * (interval or 0.0)
        if interval is not None and not grace > 0:
            raise ValidationError(f"grace_period must be > 0 seconds, but got {grace_period!r}")
        self.heartbeat_interval = interval
        self.grace_period: float | None = grace if interval is not None else None
        self.requeue_failed = bool(requeue_failed)
        self._closed = False
        self._b: PostgresStore | DuckDBStore
        if postgres:
            engine = create_engine(self._target, engine_kwargs)
            self._open_schema(engine)
            self._b = PostgresStore(
                engine, heartbeat_interval=interval, grace_period=grace, requeue_failed=self.requeue_failed
            )
        else:
            self._b = _acquire_duckdb(self._target, engine_kwargs, requeue_failed=self.requeue_failed)

    def _open_schema(self, engine: sa.Engine) -> None:
        try:
            ensure_schema(engine, where=self._target.where)
        except RagtuneError:
            engine.dispose()
            raise
        except sa.exc.OperationalError as e:  # could not connect, or the server refused us
            engine.dispose()
            raise connection_error(e, self._target) from e
        except sa.exc.SQLAlchemyError as e:
            engine.dispose()
            raise operation_error(e, self._target) from e

    @contextmanager
    def _boundary(self) -> Iterator[None]:
        """Driver errors leave as one-line ragtune errors; ragtune's own errors pass through."""
        if self._closed:
            raise StorageError(f"this storage ({self.describe()}) was closed; open a new one")
        try:
            yield
        except RagtuneError:
            raise
        except sa.exc.SQLAlchemyError as e:
            raise operation_error(e, self._target) from e
        except UnicodeEncodeError as e:
            raise StorageError(
                f"{self.describe()} cannot store text that is not valid Unicode ({e.reason} at "
                f"position {e.start}); remove unpaired surrogates from names and attributes"
            ) from None
        except Exception as e:
            if type(e).__module__.split(".")[0] in ("duckdb", "_duckdb", "psycopg"):
                raise operation_error(e, self._target) from e
            raise

    # -- the Storage API: the backend's methods, called inside the boundary -------------------
    create_new_study = _Forward(Storage.create_new_study)
    delete_study = _Forward(Storage.delete_study)
    get_study_id_from_name = _Forward(Storage.get_study_id_from_name)
    get_study_name_from_id = _Forward(Storage.get_study_name_from_id)
    get_study_directions = _Forward(Storage.get_study_directions)
    get_all_studies = _Forward(Storage.get_all_studies)
    set_study_user_attr = _Forward(Storage.set_study_user_attr)
    get_study_user_attrs = _Forward(Storage.get_study_user_attrs)
    set_study_system_attr = _Forward(Storage.set_study_system_attr)
    get_study_system_attrs = _Forward(Storage.get_study_system_attrs)
    create_new_trial = _Forward(Storage.create_new_trial)
    claim_waiting_trial = _Forward(Storage.claim_waiting_trial)
    set_trial_param = _Forward(Storage.set_trial_param)
    set_trial_intermediate_value = _Forward(Storage.set_trial_intermediate_value)
    set_trial_user_attr = _Forward(Storage.set_trial_user_attr)
    set_trial_system_attr = _Forward(Storage.set_trial_system_attr)
    set_trial_constraints = _Forward(Storage.set_trial_constraints)
    finish_trial = _Forward(Storage.finish_trial)
    get_trial = _Forward(Storage.get_trial)
    get_trial_id_from_number = _Forward(Storage.get_trial_id_from_number)
    get_all_trials = _Forward(Storage.get_all_trials)
    get_n_trials = _Forward(Storage.get_n_trials)
    read_trials_since = _Forward(Storage.read_trials_since)
    record_heartbeat = _Forward(Storage.record_heartbeat)
    fail_stale_trials = _Forward(Storage.fail_stale_trials)

    def close(self) -> None:
        """Release the connections (PostgreSQL) or the file (DuckDB, once its last user closes)."""
        if self._closed:
            return
        self._closed = True
        if isinstance(self._b, DuckDBStore):
            _release_duckdb(self._b)
        else:
            self._b.close()

    def describe(self) -> str:
        return self._target.where

    def reopen_url(self) -> str:
        """The URL this storage was opened with, password included, for a process that must open the
        same database (a Ray task on another machine). Never log it; :meth:`describe` is for people."""
        return self._target.url.render_as_string(hide_password=False)

    def duckdb_handle(self) -> DuckDBFile | None:
        """The open DuckDB database (connection, lock, path); ``None`` on PostgreSQL. Used to publish
        read-only snapshots for other processes (:mod:`ragtune.storage.sql.duckdb_watch`)."""
        return self._b.handle if isinstance(self._b, DuckDBStore) and not self._closed else None

    def __repr__(self) -> str:
        return f"SQLStorage({self._target.where})"


_OPEN: dict[str, DuckDBStore] = {}
_OPEN_LOCK = threading.Lock()


def _acquire_duckdb(
    target: Target, engine_kwargs: dict[str, Any] | None, *, requeue_failed: bool
) -> DuckDBStore:
    """The process's store for a DuckDB file: every storage object on one file shares it."""
    with _OPEN_LOCK:
        store = _OPEN.get(target.path) if target.path is not None else None
        if store is None:
            handle = DuckDBFile(target, engine_kwargs)
            try:
                ensure_schema(handle.engine, where=target.where)
                store = DuckDBStore(handle, requeue_failed=requeue_failed)
            except BaseException:
                handle.close()
                raise
            if target.path is not None:
                _OPEN[target.path] = store
        store.users += 1
        return store


def _release_duckdb(store: DuckDBStore) -> None:
    with _OPEN_LOCK:
        store.users -= 1
        if store.users > 0:
            return
        path = store.target.path
        if path is not None and _OPEN.get(path) is store:
            del _OPEN[path]
    try:
        store.close()
    finally:
        store.handle.close()

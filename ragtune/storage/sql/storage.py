"""``SQLStorage``: the public storage class for DuckDB files and PostgreSQL servers."""

from __future__ import annotations

import threading
from collections.abc import Container, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal

import sqlalchemy as sa

from ragtune.core.directions import StudyDirection
from ragtune.core.distributions import AnyDistribution
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trial_state import TrialState
from ragtune.exceptions import RagtuneError, StorageError, ValidationError
from ragtune.storage.base import Storage, StudySummary, TrialsDelta
from ragtune.storage.sql.connect import (
    Target,
    connection_error,
    create_engine,
    operation_error,
    parse_target,
)
from ragtune.storage.sql.duckdb_sql import DuckDBFile
from ragtune.storage.sql.duckdb_store import DuckDBStore
from ragtune.storage.sql.migrations import ensure_schema
from ragtune.storage.sql.postgres import PostgresStore

_DEFAULT_PG_HEARTBEAT = 10.0


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

    # -- studies ---------------------------------------------------------------------------
    def create_new_study(self, directions: Sequence[StudyDirection], study_name: str) -> int:
        with self._boundary():
            return self._b.create_new_study(directions, study_name)

    def delete_study(self, study_id: int) -> None:
        with self._boundary():
            self._b.delete_study(study_id)

    def get_study_id_from_name(self, study_name: str) -> int:
        with self._boundary():
            return self._b.get_study_id_from_name(study_name)

    def get_study_name_from_id(self, study_id: int) -> str:
        with self._boundary():
            return self._b.get_study_name_from_id(study_id)

    def get_study_directions(self, study_id: int) -> tuple[StudyDirection, ...]:
        with self._boundary():
            return self._b.get_study_directions(study_id)

    def get_all_studies(self) -> list[StudySummary]:
        with self._boundary():
            return self._b.get_all_studies()

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        with self._boundary():
            self._b.set_study_user_attr(study_id, key, value)

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        with self._boundary():
            return self._b.get_study_user_attrs(study_id)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        with self._boundary():
            self._b.set_study_system_attr(study_id, key, value)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        with self._boundary():
            return self._b.get_study_system_attrs(study_id)

    # -- trials ----------------------------------------------------------------------------
    def create_new_trial(self, study_id: int, template: FrozenTrial | None = None) -> FrozenTrial:
        with self._boundary():
            return self._b.create_new_trial(study_id, template)

    def claim_waiting_trial(self, study_id: int) -> FrozenTrial | None:
        with self._boundary():
            return self._b.claim_waiting_trial(study_id)

    def set_trial_param(
        self, trial_id: int, name: str, internal: float, distribution: AnyDistribution
    ) -> None:
        with self._boundary():
            self._b.set_trial_param(trial_id, name, internal, distribution)

    def set_trial_intermediate_value(
        self,
        trial_id: int,
        step: int,
        values: tuple[float, ...],
        scores: tuple[tuple[float, ...], ...] | None = None,
    ) -> None:
        with self._boundary():
            self._b.set_trial_intermediate_value(trial_id, step, values, scores)

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        with self._boundary():
            self._b.set_trial_user_attr(trial_id, key, value)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        with self._boundary():
            self._b.set_trial_system_attr(trial_id, key, value)

    def set_trial_constraints(self, trial_id: int, constraints: tuple[float, ...]) -> None:
        with self._boundary():
            self._b.set_trial_constraints(trial_id, constraints)

    def finish_trial(
        self,
        trial_id: int,
        state: TrialState,
        values: tuple[float, ...] | None = None,
        fail_reason: str | None = None,
    ) -> FrozenTrial:
        with self._boundary():
            return self._b.finish_trial(trial_id, state, values, fail_reason)

    def get_trial(self, trial_id: int) -> FrozenTrial:
        with self._boundary():
            return self._b.get_trial(trial_id)

    def get_trial_id_from_number(self, study_id: int, number: int) -> int:
        with self._boundary():
            return self._b.get_trial_id_from_number(study_id, number)

    def get_all_trials(
        self, study_id: int, *, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        with self._boundary():
            return self._b.get_all_trials(study_id, states=states)

    def get_n_trials(self, study_id: int, *, states: Container[TrialState] | None = None) -> int:
        with self._boundary():
            return self._b.get_n_trials(study_id, states=states)

    def read_trials_since(self, study_id: int, cursor: int) -> TrialsDelta:
        with self._boundary():
            return self._b.read_trials_since(study_id, cursor)

    # -- liveness and lifetime -------------------------------------------------------------
    def record_heartbeat(self, trial_id: int) -> None:
        with self._boundary():
            self._b.record_heartbeat(trial_id)

    def fail_stale_trials(self, study_id: int) -> list[int]:
        with self._boundary():
            return self._b.fail_stale_trials(study_id)

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

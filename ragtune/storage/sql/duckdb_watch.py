"""Watching a DuckDB study from other processes while one process optimises it.

DuckDB lets one process open a file. So that ``ragtune best``, ``studies``, ``export`` and ``tui``
work from a second terminal during ``ragtune optimize``:

- the optimising process publishes a **snapshot**: after trials finish (at most once a second) it
  copies its database, in one transaction of its own connection, to ``.NAME.duckdb.live`` next to the
  file (written to a temporary name, then renamed over the old one, so a reader never sees half a
  copy); the snapshot is removed when the run ends;
- read-only commands open a :class:`DuckDBView`: a private copy (in a temporary folder) of the file,
  taken through a read-only attach, or of the snapshot when the file is held by the optimiser. The
  view re-copies when the file or the snapshot changed, so a TUI refreshes live. Nothing in the
  user's folder is created or changed; a missing file is an error naming the path.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Container, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from ragtune.exceptions import StorageError, StorageLockedError, StorageURLError
from ragtune.log import get_logger
from ragtune.storage.base import Storage, StudySummary, TrialsDelta

if TYPE_CHECKING:
    from ragtune.core.directions import StudyDirection
    from ragtune.core.distributions import AnyDistribution
    from ragtune.core.frozen_trial import FrozenTrial
    from ragtune.core.trial_state import TrialState
    from ragtune.storage.sql.storage import SQLStorage

_log = get_logger("storage.watch")
_RECHECK_SECONDS = 1.0


def snapshot_path(db: Path) -> Path:
    """Where the optimiser of ``db`` publishes its snapshot: ``.NAME.live`` in the same folder."""
    return db.with_name(f".{db.name}.live")


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sql_name(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


# -- the optimising process ------------------------------------------------------------------------


class SnapshotPublisher:
    """Publishes snapshots of a DuckDB storage for other processes; a study callback marks it dirty.

    ``with SnapshotPublisher(storage): study.optimize(..., callbacks=[publisher])``. Failures to
    publish are logged at debug level and never stop the run.
    """

    def __init__(self, storage: SQLStorage, *, interval: float = _RECHECK_SECONDS) -> None:
        handle = storage.duckdb_handle()
        if handle is None or handle.target.path is None:
            raise StorageURLError("snapshots are for DuckDB files")
        self._handle = handle
        self.path = snapshot_path(Path(handle.target.path))
        self.interval = interval
        self._dirty = threading.Event()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self.published = 0

    def __call__(self, *_: Any) -> None:
        self._dirty.set()

    def publish(self) -> None:
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        tmp.unlink(missing_ok=True)
        h = self._handle
        with h.lock:
            name = h.raw.execute("SELECT current_database()").fetchone()[0]
            h.raw.execute(f"ATTACH {_sql_text(str(tmp))} AS ragtune_live_snapshot")
            try:
                h.raw.execute(f"COPY FROM DATABASE {_sql_name(name)} TO ragtune_live_snapshot")
            finally:
                h.raw.execute("DETACH ragtune_live_snapshot")
        os.replace(tmp, self.path)
        self.published += 1

    def _try_publish(self) -> None:
        try:
            self.publish()
        except Exception:
            _log.debug("publishing the snapshot %s failed", self.path, exc_info=True)

    def _loop(self) -> None:
        while not self._done.is_set():
            if self._dirty.wait(self.interval) and not self._done.is_set():
                self._dirty.clear()
                self._try_publish()
                self._done.wait(self.interval)

    def __enter__(self) -> SnapshotPublisher:
        self._try_publish()
        self._thread = threading.Thread(target=self._loop, name="ragtune-snapshot", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._done.set()
        self._dirty.set()
        if self._thread is not None:
            self._thread.join()
        self.path.unlink(missing_ok=True)
        for stale in self.path.parent.glob(f"{self.path.name}.{os.getpid()}.tmp"):
            stale.unlink(missing_ok=True)


@contextmanager
def live_snapshots(storage: Storage) -> Iterator[Callable[..., None]]:
    """A study callback that publishes snapshots of a DuckDB file storage while the block runs (a
    no-op for other storages)."""
    from ragtune.storage.sql.storage import SQLStorage

    handle = storage.duckdb_handle() if isinstance(storage, SQLStorage) else None
    if not isinstance(storage, SQLStorage) or handle is None or handle.target.path is None:
        yield lambda *_: None
        return
    with SnapshotPublisher(storage) as publisher:
        yield publisher


# -- the watching processes ------------------------------------------------------------------------


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def _copy_read_only(source: Path, dest: Path) -> None:
    """A consistent copy of ``source`` through a read-only attach (a shared lock while copying)."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute(f"ATTACH {_sql_text(str(source))} AS src (READ_ONLY)")
        con.execute(f"ATTACH {_sql_text(str(dest))} AS dst")
        con.execute("COPY FROM DATABASE src TO dst")
    finally:
        con.close()


def _is_lock_error(error: BaseException) -> bool:
    text = str(error)
    return "Could not set lock" in text or "Conflicting lock" in text


class DuckDBView(Storage):
    """A read-only view of a DuckDB file that may be held by an optimising process (see module doc).

    Reads come from a private copy, refreshed when the file or the snapshot changed (checked at
    most once a second, on ``get_all_studies``, ``get_study_id_from_name`` and
    ``read_trials_since``). Study attributes (a TUI's choice) are written to the file itself when
    no other process holds it. Creating or changing trials is refused.
    """

    heartbeat_interval = None

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(os.path.realpath(os.path.expanduser(path)))
        if not self.path.is_file():
            raise StorageURLError(
                f"no DuckDB file at {self.path}; run `ragtune optimize PIPELINE.py` there first, or pass "
                "--storage duckdb:///path/to/file.duckdb"
            )
        self.snapshot = snapshot_path(self.path)
        self._dir = Path(tempfile.mkdtemp(prefix="ragtune-view-"))
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._dir, ignore_errors=True)
        self._inner: SQLStorage | None = None
        self._signature: object = None
        self._checked = 0.0
        self._copies = 0
        self.from_snapshot = False
        self._lock = threading.RLock()
        try:
            self._refresh(force=True)
        except BaseException:
            shutil.rmtree(self._dir, ignore_errors=True)
            raise

    # -- copying -----------------------------------------------------------------------------
    def _refresh(self, *, force: bool = False) -> None:
        with self._lock:
            now = time.monotonic()
            if not force and now - self._checked < _RECHECK_SECONDS:
                return
            self._checked = now
            wal = self.path.with_name(self.path.name + ".wal")
            signature = (_stat(self.path), _stat(wal), _stat(self.snapshot))
            if signature == self._signature and self._inner is not None:
                return
            if not self.path.exists():
                raise StorageError(f"the DuckDB file {self.path} is gone (deleted or moved)")
            if self._opened_here():
                return
            self._copies += 1
            dest = self._dir / f"view-{self._copies}.duckdb"
            from_snapshot = False
            try:
                _copy_read_only(self.path, dest)
            except Exception as e:
                if not _is_lock_error(e):
                    raise StorageError(
                        f"cannot read DuckDB file {self.path}: {str(e).splitlines()[0]}"
                    ) from e
                dest.unlink(missing_ok=True)
                try:
                    shutil.copyfile(self.snapshot, dest)
                except FileNotFoundError:
                    raise StorageLockedError(
                        f"DuckDB file {self.path} is open in another process that publishes no snapshot of "
                        "it (not `ragtune optimize`?); wait for it to finish, or use PostgreSQL for "
                        "several processes"
                    ) from None
                from_snapshot = True
            from ragtune.storage.sql.storage import SQLStorage

            inner = SQLStorage(f"duckdb:///{dest}", requeue_failed=False)
            old, self._inner = self._inner, inner
            self._signature, self.from_snapshot = signature, from_snapshot
            if old is not None:
                old.close()
            for stale in self._dir.glob("view-*.duckdb*"):
                if not stale.name.startswith(dest.name):
                    stale.unlink(missing_ok=True)

    def _opened_here(self) -> bool:
        """This process has the file open already (it is the optimiser, or a test): read through
        that storage, which answers from memory, instead of a copy."""
        from ragtune.storage.sql import storage as sql_storage

        if self._inner is not None and self._signature == "here":
            return True
        with sql_storage._OPEN_LOCK:
            if str(self.path) not in sql_storage._OPEN:
                return False
        inner = sql_storage.SQLStorage(f"duckdb:///{self.path}")
        old, self._inner, self._signature, self.from_snapshot = self._inner, inner, "here", False
        if old is not None:
            old.close()
        return True

    def _current(self, refresh: bool = False) -> SQLStorage:
        if refresh:
            self._refresh()
        assert self._inner is not None
        return self._inner

    # -- reads ---------------------------------------------------------------------------------
    def get_all_studies(self) -> list[StudySummary]:
        return self._current(True).get_all_studies()

    def get_study_id_from_name(self, study_name: str) -> int:
        return self._current(True).get_study_id_from_name(study_name)

    def read_trials_since(self, study_id: int, cursor: int) -> TrialsDelta:
        return self._current(True).read_trials_since(study_id, cursor)

    def get_study_name_from_id(self, study_id: int) -> str:
        return self._current().get_study_name_from_id(study_id)

    def get_study_directions(self, study_id: int) -> tuple[StudyDirection, ...]:
        return self._current().get_study_directions(study_id)

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        return self._current().get_study_user_attrs(study_id)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        return self._current().get_study_system_attrs(study_id)

    def get_trial(self, trial_id: int) -> FrozenTrial:
        return self._current().get_trial(trial_id)

    def get_trial_id_from_number(self, study_id: int, number: int) -> int:
        return self._current().get_trial_id_from_number(study_id, number)

    def get_all_trials(
        self, study_id: int, *, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        return self._current().get_all_trials(study_id, states=states)

    def get_n_trials(self, study_id: int, *, states: Container[TrialState] | None = None) -> int:
        return self._current().get_n_trials(study_id, states=states)

    # -- study attributes: written to the file itself ----------------------------------------
    def _write_through(self, write: Callable[[Storage], None]) -> None:
        from ragtune.storage.sql.storage import SQLStorage

        try:
            real = SQLStorage(f"duckdb:///{self.path}")
        except StorageLockedError:
            raise StorageLockedError(
                f"DuckDB file {self.path} is being optimised by another process; this change can be "
                "stored once that run ends"
            ) from None
        try:
            write(real)
        finally:
            real.close()
        write(self._current())

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        self._write_through(lambda s: s.set_study_user_attr(study_id, key, value))

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self._write_through(lambda s: s.set_study_system_attr(study_id, key, value))

    # -- everything else is a write this view refuses ---------------------------------------
    def _refuse(self) -> NoReturn:
        raise StorageError(
            f"{self.describe()} is opened read-only here; run trials with ragtune optimize (or open "
            "the file with ragtune.storage.get_storage)"
        )

    def create_new_study(self, directions: Sequence[StudyDirection], study_name: str) -> int:
        self._refuse()

    def delete_study(self, study_id: int) -> None:
        self._refuse()

    def create_new_trial(self, study_id: int, template: FrozenTrial | None = None) -> FrozenTrial:
        self._refuse()

    def claim_waiting_trial(self, study_id: int) -> FrozenTrial | None:
        self._refuse()

    def set_trial_param(
        self, trial_id: int, name: str, internal: float, distribution: AnyDistribution
    ) -> None:
        self._refuse()

    def set_trial_intermediate_value(
        self,
        trial_id: int,
        step: int,
        values: tuple[float, ...],
        scores: tuple[tuple[float, ...], ...] | None = None,
    ) -> None:
        self._refuse()

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._refuse()

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._refuse()

    def set_trial_constraints(self, trial_id: int, constraints: tuple[float, ...]) -> None:
        self._refuse()

    def finish_trial(
        self,
        trial_id: int,
        state: TrialState,
        values: tuple[float, ...] | None = None,
        fail_reason: str | None = None,
    ) -> FrozenTrial:
        self._refuse()

    # -- lifecycle ---------------------------------------------------------------------------
    def describe(self) -> str:
        live = " (live snapshot of a running optimisation)" if self.from_snapshot else ""
        return f"DuckDB file {self.path}{live}"

    def close(self) -> None:
        with self._lock:
            if self._inner is not None:
                self._inner.close()
                self._inner = None
            shutil.rmtree(self._dir, ignore_errors=True)

    def __repr__(self) -> str:
        return f"DuckDBView({self.path})"


__all__ = ["DuckDBView", "SnapshotPublisher", "live_snapshots", "snapshot_path"]

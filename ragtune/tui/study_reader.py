"""Reading studies for the TUI through any Storage, incrementally after the first read (no Textual)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragtune.choice import objective_names
from ragtune.core.directions import StudyDirection
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.exceptions import StorageConnectionError
from ragtune.storage.base import Storage, StudySummary
from ragtune.storage.urls import mask_url
from ragtune.tui.view_model import StudyModel

__all__ = [
    "STUDY_LIST_COLUMNS",
    "StudyListRow",
    "StudyReader",
    "check_file",
    "describe_error",
    "duckdb_file",
    "study_list_rows",
]


def duckdb_file(url: str) -> Path | None:
    """The file of a ``duckdb:///path`` URL (``None`` for other URLs and in-memory DuckDB)."""
    if not url.lower().startswith("duckdb:///"):
        return None
    target = url[len("duckdb:///") :].split("?", 1)[0]
    return None if target in ("", ":memory:") else Path(target).expanduser()


def check_file(path: Path | None) -> None:
    """Raise a StorageConnectionError when a DuckDB file the app reads from was deleted or moved.

    The DuckDB backend answers reads from memory, so a vanished file is only noticed here.
    """
    if path is not None and not path.exists():
        raise StorageConnectionError(
            f"the DuckDB file {str(path)!r} is gone (deleted or moved); new trials and choices cannot be seen"
        )


def describe_error(error: BaseException) -> str:
    """One line for an error bar: the first line of the message, any password masked."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return mask_url(text)


def _signature(trials: Sequence[FrozenTrial]) -> tuple[tuple[int, int, int, int], ...]:
    return tuple((t.number, int(t.state), len(t.intermediate_values), len(t.params)) for t in trials)


class StudyReader:
    """Keeps the trials of one study read so far; :meth:`read` fetches only what changed.

    Uses ``Storage.read_trials_since``: finished trials never change, so each read asks for those
    finished since the last cursor plus every unfinished one.
    """

    def __init__(self, storage: Storage, study_name: str, *, watch_file: Path | None = None) -> None:
        self.storage = storage
        self.study_name = study_name
        self.watch_file = watch_file
        self._cursor = 0
        self._study_id: int | None = None
        self._directions: tuple[StudyDirection, ...] = ()
        self._finished: dict[int, FrozenTrial] = {}
        self._unfinished: list[FrozenTrial] = []
        self._attrs: tuple[dict[str, Any], dict[str, Any]] | None = None

    def read(self) -> StudyModel | None:
        """A fresh model, or ``None`` when nothing changed since the last read. Storage errors propagate."""
        check_file(self.watch_file)
        study_id = self.storage.get_study_id_from_name(self.study_name)
        if study_id != self._study_id:  # first read, or the study was deleted and created anew
            self._study_id, self._cursor = study_id, 0
            self._finished, self._unfinished, self._attrs = {}, [], None
            self._directions = self.storage.get_study_directions(study_id)
        delta = self.storage.read_trials_since(study_id, self._cursor)
        attrs = (self.storage.get_study_user_attrs(study_id), self.storage.get_study_system_attrs(study_id))
        changed = (
            self._attrs is None
            or bool(delta.finished)
            or _signature(delta.unfinished) != _signature(self._unfinished)
            or attrs != self._attrs
        )
        for t in delta.finished:
            self._finished[t.number] = t
        self._cursor, self._unfinished, self._attrs = delta.cursor, list(delta.unfinished), attrs
        if not changed:
            return None
        running = [t for t in self._unfinished if t.number not in self._finished]
        return StudyModel(
            self.study_name,
            self._directions,
            [*self._finished.values(), *running],
            user_attrs=attrs[0],
            system_attrs=attrs[1],
        )


@dataclass(frozen=True, slots=True)
class StudyListRow:
    """One line of the study picker."""

    name: str
    cells: tuple[str, ...]


def study_list_rows(studies: Sequence[StudySummary]) -> list[StudyListRow]:
    """Rows ``(study, trials, objectives, started)`` for the picker, newest study first."""

    def started(s: StudySummary) -> float:
        return s.datetime_start.timestamp() if s.datetime_start is not None else 0.0

    rows = []
    for s in sorted(studies, key=lambda s: (-started(s), s.study_name)):
        names = objective_names(s.directions, s.system_attrs)
        objectives = ", ".join(
            f"{n} {'↑' if d is StudyDirection.MAXIMIZE else '↓'}"
            for n, d in zip(names, s.directions, strict=True)
        )
        when = s.datetime_start.strftime("%Y-%m-%d %H:%M") if s.datetime_start is not None else "—"
        rows.append(StudyListRow(s.study_name, (s.study_name, str(s.n_trials), objectives, when)))
    return rows


STUDY_LIST_COLUMNS = ("study", "trials", "objectives", "started")

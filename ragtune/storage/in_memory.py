"""Thread-safe in-memory storage for tests, notebooks and single-process runs."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ragtune.core.directions import StudyDirection
from ragtune.exceptions import DuplicatedStudyError, StudyNotFound
from ragtune.storage.base import StudySummary
from ragtune.storage.bookkeeping import StudyTrials, TrialBook
from ragtune.storage.records import json_copy


@dataclass(slots=True)
class _Study:
    name: str
    directions: tuple[StudyDirection, ...]
    created: dt.datetime
    user_attrs: dict[str, Any] = field(default_factory=dict)
    system_attrs: dict[str, Any] = field(default_factory=dict)


class InMemoryStorage(TrialBook):
    """The shared trial bookkeeping (:class:`~ragtune.storage.bookkeeping.TrialBook`) with
    studies in a dict; nothing is written anywhere."""

    def __init__(self) -> None:
        super().__init__()
        self._studies: dict[int, _Study] = {}
        self._names: dict[str, int] = {}
        self._next_study = 0

    def _study(self, study_id: int) -> _Study:
        try:
            return self._studies[study_id]
        except KeyError:
            raise StudyNotFound(f"no study with id {study_id}") from None

    def _study_trials(self, study_id: int) -> StudyTrials:
        self._study(study_id)
        return self._by_study[study_id]

    def create_new_study(self, directions: Sequence[StudyDirection], study_name: str) -> int:
        with self._lock:
            if study_name in self._names:
                raise DuplicatedStudyError(
                    f"a study named {study_name!r} exists already; pass load_if_exists=True to reuse it"
                )
            sid = self._next_study
            self._next_study += 1
            self._studies[sid] = _Study(study_name, tuple(directions), dt.datetime.now())
            self._by_study[sid] = StudyTrials()
            self._names[study_name] = sid
            return sid

    def delete_study(self, study_id: int) -> None:
        with self._lock:
            s = self._study(study_id)
            self._forget_study(study_id)
            del self._names[s.name]
            del self._studies[study_id]

    def get_study_id_from_name(self, study_name: str) -> int:
        with self._lock:
            try:
                return self._names[study_name]
            except KeyError:
                raise StudyNotFound(
                    f"no study named {study_name!r}; existing: {sorted(self._names) or 'none'}"
                ) from None

    def get_study_name_from_id(self, study_id: int) -> str:
        with self._lock:
            return self._study(study_id).name

    def get_study_directions(self, study_id: int) -> tuple[StudyDirection, ...]:
        with self._lock:
            return self._study(study_id).directions

    def get_all_studies(self) -> list[StudySummary]:
        with self._lock:
            return [
                StudySummary(
                    sid,
                    s.name,
                    s.directions,
                    len(self._by_study[sid].trial_ids),
                    dict(s.user_attrs),
                    s.created,
                    dict(s.system_attrs),
                )
                for sid, s in self._studies.items()
            ]

    def _set_study_attr(self, study_id: int, key: str, value: Any, *, system: bool) -> None:
        _, kept = json_copy(value, what=f"study {'system' if system else 'user'} attr {key!r}")
        with self._lock:
            s = self._study(study_id)
            (s.system_attrs if system else s.user_attrs)[key] = kept

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        self._set_study_attr(study_id, key, value, system=False)

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._study(study_id).user_attrs)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self._set_study_attr(study_id, key, value, system=True)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._study(study_id).system_attrs)

    def describe(self) -> str:
        return "in-memory storage"

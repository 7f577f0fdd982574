"""The study half of the Storage contract, written once for both SQL backends."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

import sqlalchemy as sa

from ragtune.core.directions import StudyDirection
from ragtune.storage.base import Storage, StudySummary
from ragtune.storage.sql import studies


class SQLStudies(Storage):
    """Study methods over ``_reading()`` / ``_writing()`` connections the backend provides."""

    def _reading(self) -> AbstractContextManager[sa.Connection]:
        raise NotImplementedError

    def _writing(self) -> AbstractContextManager[sa.Connection]:
        raise NotImplementedError

    def create_new_study(self, directions: Sequence[StudyDirection], study_name: str) -> int:
        try:
            with self._writing() as conn:
                return studies.create_study(conn, directions, study_name)
        except sa.exc.IntegrityError:  # another worker created it between our check and insert
            raise studies.duplicated(study_name) from None

    def delete_study(self, study_id: int) -> None:
        with self._writing() as conn:
            deleted = studies.delete_study(conn, study_id)
        self._forget(deleted)

    def _forget(self, trial_ids: list[int]) -> None:
        """Drop what this object remembers of deleted trials."""

    def get_study_id_from_name(self, study_name: str) -> int:
        with self._reading() as conn:
            return studies.study_id_from_name(conn, study_name)

    def get_study_name_from_id(self, study_id: int) -> str:
        with self._reading() as conn:
            return studies.study_name_from_id(conn, study_id)

    def get_study_directions(self, study_id: int) -> tuple[StudyDirection, ...]:
        with self._reading() as conn:
            return studies.study_directions(conn, study_id)

    def get_all_studies(self) -> list[StudySummary]:
        with self._reading() as conn:
            return studies.all_studies(conn)

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        with self._writing() as conn:
            studies.set_study_attr(conn, study_id, key, value, system=False)

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        with self._reading() as conn:
            return studies.study_attrs(conn, study_id, system=False)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        with self._writing() as conn:
            studies.set_study_attr(conn, study_id, key, value, system=True)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        with self._reading() as conn:
            return studies.study_attrs(conn, study_id, system=True)


def locked(lock: Any, inner: AbstractContextManager[sa.Connection]) -> Iterator[sa.Connection]:
    """``inner`` entered while holding ``lock`` (a generator for ``contextmanager``)."""
    with lock, inner as conn:
        yield conn

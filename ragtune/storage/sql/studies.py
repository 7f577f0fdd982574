"""Study rows (create, find, list, delete, attributes) and the study half of the Storage contract
(:class:`SQLStudies`), written once for both SQL backends."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from ragtune.core.directions import StudyDirection, parse_direction
from ragtune.exceptions import DuplicatedStudyError, StudyNotFound
from ragtune.storage.base import Storage, StudySummary
from ragtune.storage.records import dumps, loads
from ragtune.storage.sql import schema as S

_ST = S.studies
_NAMES_SHOWN = 20


def duplicated(study_name: str) -> DuplicatedStudyError:
    return DuplicatedStudyError(
        f"a study named {study_name!r} exists already; pass load_if_exists=True to reuse it"
    )


def no_study(study_id: int) -> StudyNotFound:
    return StudyNotFound(f"no study with id {study_id}")


def create_study(conn: sa.Connection, directions: Sequence[StudyDirection], study_name: str) -> int:
    found = conn.execute(sa.select(_ST.c.study_id).where(_ST.c.study_name == study_name)).first()
    if found is not None:
        raise duplicated(study_name)
    study_id = int(
        conn.execute(
            _ST.insert()
            .values(study_name=study_name, n_trials=0, n_finished=0, datetime_created=dt.datetime.now())
            .returning(_ST.c.study_id)
        ).scalar_one()
    )
    conn.execute(
        S.study_directions.insert(),
        [{"study_id": study_id, "objective": i, "direction": d.label} for i, d in enumerate(directions)],
    )
    return study_id


def require_study(conn: sa.Connection, study_id: int) -> None:
    if conn.execute(sa.select(_ST.c.study_id).where(_ST.c.study_id == study_id)).first() is None:
        raise no_study(study_id)


def delete_study(conn: sa.Connection, study_id: int) -> list[int]:
    """Delete the study and its trials; return the deleted trial ids."""
    require_study(conn, study_id)
    ids = sa.select(S.trials.c.trial_id).where(S.trials.c.study_id == study_id)
    deleted = [int(i) for i in conn.execute(ids).scalars()]
    for table in S.TRIAL_CHILD_TABLES:
        conn.execute(table.delete().where(table.c.trial_id.in_(ids)))
    conn.execute(S.trials.delete().where(S.trials.c.study_id == study_id))
    for table in S.STUDY_CHILD_TABLES:
        conn.execute(table.delete().where(table.c.study_id == study_id))
    conn.execute(_ST.delete().where(_ST.c.study_id == study_id))
    return deleted


def study_id_from_name(conn: sa.Connection, study_name: str) -> int:
    found = conn.execute(sa.select(_ST.c.study_id).where(_ST.c.study_name == study_name)).first()
    if found is not None:
        return int(found[0])
    names = sorted(conn.execute(sa.select(_ST.c.study_name)).scalars())
    shown: object = names[:_NAMES_SHOWN] or "none"
    more = f" and {len(names) - _NAMES_SHOWN} more" if len(names) > _NAMES_SHOWN else ""
    raise StudyNotFound(f"no study named {study_name!r}; existing: {shown}{more}")


def study_name_from_id(conn: sa.Connection, study_id: int) -> str:
    found = conn.execute(sa.select(_ST.c.study_name).where(_ST.c.study_id == study_id)).first()
    if found is None:
        raise no_study(study_id)
    return str(found[0])


def study_directions(conn: sa.Connection, study_id: int) -> tuple[StudyDirection, ...]:
    d = S.study_directions
    rows = conn.execute(
        sa.select(d.c.direction).where(d.c.study_id == study_id).order_by(d.c.objective)
    ).scalars()
    out = tuple(parse_direction(v) for v in rows)
    if not out:
        raise no_study(study_id)
    return out


def all_studies(conn: sa.Connection) -> list[StudySummary]:
    d, t, u = S.study_directions, S.trials, S.study_user_attrs
    dirs: dict[int, list[StudyDirection]] = {}
    for sid, value in conn.execute(sa.select(d.c.study_id, d.c.direction).order_by(d.c.objective)):
        dirs.setdefault(sid, []).append(parse_direction(value))
    counts: dict[int, int] = {
        sid: n for sid, n in conn.execute(sa.select(t.c.study_id, sa.func.count()).group_by(t.c.study_id))
    }
    attrs: dict[int, dict[str, Any]] = {}
    for sid, key, text in conn.execute(sa.select(u.c.study_id, u.c.key, u.c.value_json)):
        attrs.setdefault(sid, {})[key] = loads(text)
    system: dict[int, dict[str, Any]] = {}
    y = S.study_system_attrs
    for sid, key, text in conn.execute(sa.select(y.c.study_id, y.c.key, y.c.value_json)):
        system.setdefault(sid, {})[key] = loads(text)
    rows = conn.execute(
        sa.select(_ST.c.study_id, _ST.c.study_name, _ST.c.datetime_created).order_by(_ST.c.study_id)
    )
    return [
        StudySummary(
            sid,
            name,
            tuple(dirs.get(sid, ())),
            int(counts.get(sid, 0)),
            attrs.get(sid, {}),
            created,
            system.get(sid, {}),
        )
        for sid, name, created in rows
    ]


def _attr_table(system: bool) -> sa.Table:
    return S.study_system_attrs if system else S.study_user_attrs


def set_study_attr(conn: sa.Connection, study_id: int, key: str, value: Any, *, system: bool) -> None:
    table = _attr_table(system)
    text = dumps(value, what=f"study {'system' if system else 'user'} attr {key!r}")
    require_study(conn, study_id)
    row = {"study_id": study_id, "key": key, "value_json": text}
    if conn.dialect.name == "postgresql":
        stmt = pg_insert(table).values(row)
        conn.execute(
            stmt.on_conflict_do_update(index_elements=["study_id", "key"], set_={"value_json": text})
        )
    else:
        conn.execute(table.delete().where(table.c.study_id == study_id, table.c.key == key))
        conn.execute(table.insert().values(row))


def study_attrs(conn: sa.Connection, study_id: int, *, system: bool) -> dict[str, Any]:
    table = _attr_table(system)
    require_study(conn, study_id)
    rows = conn.execute(sa.select(table.c.key, table.c.value_json).where(table.c.study_id == study_id))
    return {key: loads(text) for key, text in rows}


class SQLStudies(Storage):
    """Study methods over ``_reading()`` / ``_writing()`` connections the backend provides."""

    def _reading(self) -> AbstractContextManager[sa.Connection]:
        raise NotImplementedError

    def _writing(self) -> AbstractContextManager[sa.Connection]:
        raise NotImplementedError

    def create_new_study(self, directions: Sequence[StudyDirection], study_name: str) -> int:
        try:
            with self._writing() as conn:
                return create_study(conn, directions, study_name)
        except sa.exc.IntegrityError:  # another worker created it between our check and insert
            raise duplicated(study_name) from None

    def delete_study(self, study_id: int) -> None:
        with self._writing() as conn:
            deleted = delete_study(conn, study_id)
        self._forget(deleted)

    def _forget(self, trial_ids: list[int]) -> None:
        """Drop what this object remembers of deleted trials."""

    def get_study_id_from_name(self, study_name: str) -> int:
        with self._reading() as conn:
            return study_id_from_name(conn, study_name)

    def get_study_name_from_id(self, study_id: int) -> str:
        with self._reading() as conn:
            return study_name_from_id(conn, study_id)

    def get_study_directions(self, study_id: int) -> tuple[StudyDirection, ...]:
        with self._reading() as conn:
            return study_directions(conn, study_id)

    def get_all_studies(self) -> list[StudySummary]:
        with self._reading() as conn:
            return all_studies(conn)

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        with self._writing() as conn:
            set_study_attr(conn, study_id, key, value, system=False)

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        with self._reading() as conn:
            return study_attrs(conn, study_id, system=False)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        with self._writing() as conn:
            set_study_attr(conn, study_id, key, value, system=True)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        with self._reading() as conn:
            return study_attrs(conn, study_id, system=True)


def locked(lock: Any, inner: AbstractContextManager[sa.Connection]) -> Iterator[sa.Connection]:
    """``inner`` entered while holding ``lock`` (a generator for ``contextmanager``)."""
    with lock, inner as conn:
        yield conn

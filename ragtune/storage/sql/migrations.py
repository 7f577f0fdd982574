"""Schema creation, the version check on open, and the list of upgrades between versions."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from ragtune.exceptions import StorageError
from ragtune.storage.sql import schema as S

# Any constant works; it only has to differ from advisory locks other applications take.
_PG_LOCK_KEY = 0x7261_6774_756E_65  # "ragtune"


@dataclass(frozen=True, slots=True)
class Migration:
    """Moves a database from ``version - 1`` to ``version``."""

    version: int
    description: str
    apply: Callable[[sa.Connection], None]


def _create_v1(conn: sa.Connection) -> None:
    S.metadata.create_all(conn, checkfirst=True)


#: Trial user attrs the schema-1 Tuner wrote, and the system attrs they become.
_V1_TRIAL_KEYS = {
    "metrics": "ragtune:metrics",
    "index": "ragtune:index",
    "pipeline": "ragtune:pipeline",
    "per_question": "ragtune:per_question",
    "llm": "ragtune:llm",
    "pruning_saved": "ragtune:pruning_saved",
}
_V1_TRIAL_DROPPED = ("questions_evaluated",)  # the length of per_question's question ids
_V1_STUDY_KEYS = {"constraints": "ragtune:constraints", "dataset": "ragtune:dataset"}


def _bookkeeping_to_system_attrs(conn: sa.Connection) -> None:
    """Schema 2: ragtune's own data leaves the user attrs (see ``ragtune.objectives.results``).

    Objective names in a study's ``"objectives"`` user attr (how schema 1 named objectives) become
    its metric names. In a study the Tuner made (user attrs ``objectives``, ``constraints`` and
    ``dataset``) those three and the trials' ``metrics``, ``index``, ``pipeline``, ``per_question``,
    ``llm`` and ``pruning_saved`` user attrs move to system attrs (``questions_evaluated``, the
    number of question ids, is dropped); other studies' user attrs stay.
    """
    su, ss = S.study_user_attrs, S.study_system_attrs
    d = S.study_directions
    counted = conn.execute(sa.select(d.c.study_id, sa.func.count()).group_by(d.c.study_id))
    n_dirs: dict[int, int] = {int(sid): int(n) for sid, n in counted}
    attrs: dict[int, dict[str, str]] = {}
    for sid, key, text in conn.execute(sa.select(su.c.study_id, su.c.key, su.c.value_json)):
        attrs.setdefault(int(sid), {})[str(key)] = str(text)
    system_keys = {(int(sid), str(k)) for sid, k in conn.execute(sa.select(ss.c.study_id, ss.c.key))}
    tuner_studies: list[int] = []
    for sid, study_attrs in attrs.items():
        names = json.loads(study_attrs["objectives"]) if "objectives" in study_attrs else None
        named = (
            isinstance(names, list)
            and len(names) == n_dirs.get(sid)
            and all(isinstance(n, str) for n in names)
        )
        if named and (sid, "ragtune:metric_names") not in system_keys:
            conn.execute(
                ss.insert().values(
                    study_id=sid, key="ragtune:metric_names", value_json=study_attrs["objectives"]
                )
            )
        if not (named and all(k in study_attrs for k in _V1_STUDY_KEYS)):
            continue
        tuner_studies.append(sid)
        for old, new in _V1_STUDY_KEYS.items():
            if (sid, new) not in system_keys:
                conn.execute(ss.insert().values(study_id=sid, key=new, value_json=study_attrs[old]))
        conn.execute(su.delete().where(su.c.study_id == sid, su.c.key.in_(["objectives", *_V1_STUDY_KEYS])))
    if not tuner_studies:
        return
    tu, ts = S.trial_user_attrs, S.trial_system_attrs
    in_tuner = tu.c.trial_id.in_(sa.select(S.trials.c.trial_id).where(S.trials.c.study_id.in_(tuner_studies)))
    for old, new in _V1_TRIAL_KEYS.items():
        moved = sa.select(tu.c.trial_id, sa.literal(new), tu.c.value_json).where(in_tuner, tu.c.key == old)
        conn.execute(ts.insert().from_select(["trial_id", "key", "value_json"], moved))
    conn.execute(tu.delete().where(in_tuner, tu.c.key.in_([*_V1_TRIAL_KEYS, *_V1_TRIAL_DROPPED])))


#: Every step from an empty database to :data:`~ragtune.storage.sql.schema.SCHEMA_VERSION`.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", _create_v1),
    Migration(
        2,
        "ragtune's bookkeeping in system attrs, objective names as metric names",
        _bookkeeping_to_system_attrs,
    ),
)


def _library_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"ragtune {version('ragtune')}"
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "ragtune"


def read_version(conn: sa.Connection) -> int | None:
    """The stored schema version, or ``None`` for a database without ragtune tables."""
    if not sa.inspect(conn).has_table(S.schema_version.name):
        return None
    found = conn.execute(sa.select(sa.func.max(S.schema_version.c.version))).scalar()
    return None if found is None else int(found)


def upgrade(
    conn: sa.Connection,
    *,
    where: str,
    migrations: Sequence[Migration] = MIGRATIONS,
    target: int = S.SCHEMA_VERSION,
) -> int:
    """Bring the schema on ``conn`` to ``target``; return the version found before.

    Raises :class:`StorageError` when the database was written by a newer ragtune.
    """
    found = read_version(conn)
    current = 0 if found is None else found
    if current > target:
        raise StorageError(
            f"the storage at {where} has schema version {current}, but this ragtune reads versions up "
            f"to {target}; upgrade ragtune (pip install -U ragtune) or use another storage"
        )
    for step in migrations:
        if current < step.version <= target:
            step.apply(conn)
            conn.execute(
                S.schema_version.insert().values(
                    version=step.version, library=_library_version(), upgraded_at=dt.datetime.now()
                )
            )
            current = step.version
    return 0 if found is None else found


def ensure_schema(engine: sa.Engine, *, where: str) -> None:
    """Create or upgrade the schema, safely when many workers open the same database at once."""
    with engine.connect() as conn:
        if read_version(conn) == S.SCHEMA_VERSION:
            return
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Held until commit: the other workers wait here, then find the schema in place.
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_LOCK_KEY)))
        upgrade(conn, where=where)

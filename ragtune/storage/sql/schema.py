"""The SQL schema shared by DuckDB and PostgreSQL, as SQLAlchemy Core tables.

Keys, uniqueness and foreign keys are created on PostgreSQL only: there several processes write,
and the database must enforce them. A DuckDB file has one writer process, which enforces them
itself; DuckDB's index maintenance would make each small transaction about three times slower.
"""

from __future__ import annotations

import sqlalchemy as sa

#: The schema version this ragtune writes; see :mod:`ragtune.storage.sql.migrations`.
SCHEMA_VERSION = 2

_PG = "postgresql"

metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("library", sa.String(64), nullable=False),
    sa.Column("upgraded_at", sa.DateTime, nullable=False),
)

studies = sa.Table(
    "studies",
    metadata,
    sa.Column("study_id", sa.BigInteger, sa.Sequence("studies_study_id_seq"), nullable=False),
    sa.Column("study_name", sa.String(512), nullable=False),
    # Counters updated in the same transaction as the trial they number: gap-free under concurrency.
    sa.Column("n_trials", sa.BigInteger, nullable=False),
    sa.Column("n_finished", sa.BigInteger, nullable=False),
    sa.Column("datetime_created", sa.DateTime, nullable=False),
    sa.PrimaryKeyConstraint("study_id").ddl_if(dialect=_PG),
    sa.UniqueConstraint("study_name").ddl_if(dialect=_PG),
)


def _study_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["study_id"], ["studies.study_id"]).ddl_if(dialect=_PG)


def _trial_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["trial_id"], ["trials.trial_id"]).ddl_if(dialect=_PG)


study_directions = sa.Table(
    "study_directions",
    metadata,
    sa.Column("study_id", sa.BigInteger, nullable=False),
    sa.Column("objective", sa.Integer, nullable=False),
    sa.Column("direction", sa.String(8), nullable=False),
    sa.PrimaryKeyConstraint("study_id", "objective").ddl_if(dialect=_PG),
    _study_fk(),
)


def _study_attr_table(name: str) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column("study_id", sa.BigInteger, nullable=False),
        sa.Column("key", sa.String(512), nullable=False),
        sa.Column("value_json", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("study_id", "key").ddl_if(dialect=_PG),
        _study_fk(),
    )


study_user_attrs = _study_attr_table("study_user_attrs")
study_system_attrs = _study_attr_table("study_system_attrs")

trials = sa.Table(
    "trials",
    metadata,
    sa.Column("trial_id", sa.BigInteger, sa.Sequence("trials_trial_id_seq"), nullable=False),
    sa.Column("study_id", sa.BigInteger, nullable=False),
    sa.Column("number", sa.BigInteger, nullable=False),
    sa.Column("state", sa.String(8), nullable=False),
    sa.Column("datetime_start", sa.DateTime),
    sa.Column("datetime_complete", sa.DateTime),
    sa.Column("fail_reason", sa.Text),
    # Seconds since the epoch on the database server's clock, so workers' clocks need not agree.
    sa.Column("heartbeat", sa.Double),
    # 1, 2, 3, ... per study in the order trials finished; NULL while unfinished.
    sa.Column("finish_seq", sa.BigInteger),
    sa.PrimaryKeyConstraint("trial_id").ddl_if(dialect=_PG),
    sa.UniqueConstraint("study_id", "number").ddl_if(dialect=_PG),
    _study_fk(),
    sa.Index("ix_trials_study_state", "study_id", "state").ddl_if(dialect=_PG),
    sa.Index("ix_trials_study_finish_seq", "study_id", "finish_seq").ddl_if(dialect=_PG),
)

trial_params = sa.Table(
    "trial_params",
    metadata,
    sa.Column("trial_id", sa.BigInteger, nullable=False),
    sa.Column("name", sa.String(512), nullable=False),
    # The sampler's internal value: the number itself, or the index of a categorical choice.
    sa.Column("value", sa.Double, nullable=False),
    # The value the objective saw, as JSON (512, 0.25, "bm25", true, null).
    sa.Column("value_json", sa.Text, nullable=False),
    sa.Column("distribution", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("trial_id", "name").ddl_if(dialect=_PG),
    _trial_fk(),
)

trial_values = sa.Table(
    "trial_values",
    metadata,
    sa.Column("trial_id", sa.BigInteger, nullable=False),
    sa.Column("objective", sa.Integer, nullable=False),
    sa.Column("value", sa.Double, nullable=False),
    sa.PrimaryKeyConstraint("trial_id", "objective").ddl_if(dialect=_PG),
    _trial_fk(),
)

trial_intermediate_values = sa.Table(
    "trial_intermediate_values",
    metadata,
    sa.Column("trial_id", sa.BigInteger, nullable=False),
    sa.Column("step", sa.BigInteger, nullable=False),
    sa.Column("objective", sa.Integer, nullable=False),
    sa.Column("value", sa.Double, nullable=False),
    sa.PrimaryKeyConstraint("trial_id", "step", "objective").ddl_if(dialect=_PG),
    _trial_fk(),
)

trial_question_scores = sa.Table(
    "trial_question_scores",
    metadata,
    sa.Column("trial_id", sa.BigInteger, nullable=False),
    sa.Column("step", sa.BigInteger, nullable=False),
    sa.Column("question", sa.Integer, nullable=False),
    sa.Column("objective", sa.Integer, nullable=False),
    sa.Column("value", sa.Double, nullable=False),
    sa.PrimaryKeyConstraint("trial_id", "step", "question", "objective").ddl_if(dialect=_PG),
    _trial_fk(),
)


def _trial_attr_table(name: str) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column("trial_id", sa.BigInteger, nullable=False),
        sa.Column("key", sa.String(512), nullable=False),
        sa.Column("value_json", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("trial_id", "key").ddl_if(dialect=_PG),
        _trial_fk(),
    )


trial_user_attrs = _trial_attr_table("trial_user_attrs")
trial_system_attrs = _trial_attr_table("trial_system_attrs")

trial_constraints = sa.Table(
    "trial_constraints",
    metadata,
    sa.Column("trial_id", sa.BigInteger, nullable=False),
    sa.Column("idx", sa.Integer, nullable=False),
    sa.Column("value", sa.Double, nullable=False),
    sa.PrimaryKeyConstraint("trial_id", "idx").ddl_if(dialect=_PG),
    _trial_fk(),
)

#: Tables holding one trial's details, keyed by ``trial_id``.
TRIAL_CHILD_TABLES = (
    trial_params,
    trial_values,
    trial_intermediate_values,
    trial_question_scores,
    trial_user_attrs,
    trial_system_attrs,
    trial_constraints,
)
STUDY_CHILD_TABLES = (study_directions, study_user_attrs, study_system_attrs)

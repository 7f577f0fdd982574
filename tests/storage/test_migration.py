"""A study file written by the schema-1 release opens with this ragtune and is migrated (schema 2).

The fixture (``fixtures/schema_v1.duckdb.gz``, see ``fixtures/README.md``) was written by ragtune at
commit 248eb89: a Tuner study whose bookkeeping sits in user attrs, a plain two-objective study and a
single-objective one.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

import ragtune as rt
from ragtune.cli.app import app
from ragtune.objectives import trial_metrics, trial_results
from ragtune.storage.sql import SCHEMA_VERSION, SQLStorage, migrations

FIXTURE = Path(__file__).parent / "fixtures" / "schema_v1.duckdb.gz"
RAG_OBJECTIVES = ["ndcg@10", "latency_p95_ms", "safety_pass_rate"]


@pytest.fixture()
def v1_file(tmp_path: Path) -> Path:
    target = tmp_path / "old.duckdb"
    with gzip.open(FIXTURE, "rb") as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return target


def _version(path: Path) -> int | None:
    engine = sa.create_engine(f"duckdb:///{path}")
    try:
        with engine.connect() as conn:
            return migrations.read_version(conn)
    finally:
        engine.dispose()


def test_fixture_is_schema_1(v1_file: Path) -> None:
    assert _version(v1_file) == 1
    engine = sa.create_engine(f"duckdb:///{v1_file}")
    with engine.connect() as conn:
        keys = set(conn.execute(sa.text("SELECT DISTINCT key FROM trial_user_attrs")).scalars())
    engine.dispose()
    assert {"metrics", "per_question", "pipeline", "index", "questions_evaluated", "note"} <= keys


def test_schema_1_file_opens_migrated_and_keeps_every_trial(v1_file: Path) -> None:
    storage = SQLStorage(f"duckdb:///{v1_file}")
    try:
        assert rt.get_all_study_names(storage) == ["rag-v1", "plain-v1", "single-v1"]
        rag = rt.load_study(study_name="rag-v1", storage=storage)
        # the Tuner's objective names became metric names; its study attrs left the user attrs
        assert rag.metric_names == RAG_OBJECTIVES
        assert rag.user_attrs == {}
        assert rag.system_attrs["ragtune:constraints"] == ["latency_p95_ms <= 200"]
        assert rag.system_attrs["ragtune:dataset"] == "python-docs"
        trials = rag.trials
        assert [t.state for t in trials] == [rt.TrialState.COMPLETE] * 4
        for t in trials:
            assert dict(t.user_attrs) == {}  # nothing of ragtune's left in the user's attrs
            results = trial_results(t)
            assert results.questions_evaluated == 9 and len(results.latency_s) == 9
            assert trial_metrics(t)["ndcg@10"] == pytest.approx(t.values[0])  # type: ignore[index]
            assert set(results.scores) >= {"ndcg@10", "safety_pass_rate"}
            assert len(results.scores["ndcg@10"]) == 9
            assert results.pipeline is not None and "retriever" in str(results.pipeline)
            assert sorted(t.intermediate_values) == [1, 3, 9]
            assert t.intermediate_values[9] == t.values  # a vector per step (three objectives)
            assert t.named_constraints == {"0": t.constraints[0]}  # type: ignore[index]
        df = rag.trials_dataframe()
        assert not [c for c in df.columns if "metrics" in c or "per_question" in c or "pipeline" in c]
        assert list(df.columns[:4]) == [
            "number",
            "values_ndcg@10",
            "values_latency_p95_ms",
            "values_safety_pass_rate",
        ]

        plain = rt.load_study(study_name="plain-v1", storage=storage)
        assert plain.metric_names is None
        assert [t.state.name for t in plain.trials] == ["COMPLETE", "COMPLETE", "PRUNED", "FAIL", "WAITING"]
        assert all(t.user_attrs["note"].startswith("x=") for t in plain.trials[:4])  # user attrs stay
        assert plain.trials[3].fail_reason == "RuntimeError: boom"
        assert plain.trials[4].system_attrs["fixed_params"] == {"x": 0.5, "c": "b"}

        single = rt.load_study(study_name="single-v1", storage=storage)
        n = single.trials[0].params["n"]
        assert single.trials[0].intermediate_values == {0: 0.0, 1: float(n), 2: 2.0 * n}  # floats now
        # the migrated study keeps working: the enqueued trial runs next, new trials number on
        plain.optimize(
            lambda t: (t.suggest_float("x", 0, 1), t.suggest_categorical("c", ["a", "b"]) == "a"), n_trials=2
        )
        assert [t.number for t in plain.trials] == [0, 1, 2, 3, 4, 5]
        assert plain.trials[4].params == {"x": 0.5, "c": "b"}
    finally:
        storage.close()
    assert _version(v1_file) == SCHEMA_VERSION


def test_migrated_file_reads_in_the_cli(v1_file: Path) -> None:
    from typer.testing import CliRunner

    url = f"duckdb:///{v1_file}"
    result = CliRunner().invoke(app, ["best", "rag-v1", "--storage", url, "--json"])
    assert result.exit_code == 0, result.output
    import json

    doc = json.loads(result.output)
    assert doc["objectives"] == RAG_OBJECTIVES
    assert doc["directions"] == ["maximize", "minimize", "maximize"]
    front = doc["pareto_front"]
    assert front and all(r["user_attrs"] == {} and "ndcg@10" in r["metrics"] for r in front)
    assert all("per_question" not in r for r in front)
    asked = CliRunner().invoke(app, ["best", "rag-v1", "--storage", url, "--json", "--with-per-question"])
    assert all(len(r["per_question"]["question_ids"]) == 9 for r in json.loads(asked.output)["pareto_front"])


def test_a_file_from_a_newer_ragtune_is_a_clear_error(v1_file: Path) -> None:
    engine = sa.create_engine(f"duckdb:///{v1_file}")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE schema_version SET version = 7"))
    engine.dispose()
    with pytest.raises(
        rt.exceptions.StorageError, match="schema version 7, but this ragtune reads versions up to"
    ):
        SQLStorage(f"duckdb:///{v1_file}")


@pytest.mark.postgres
def test_schema_1_database_on_postgres_is_migrated(postgres_schema_url: str) -> None:
    """The same step on PostgreSQL: a schema-1 database (made by rolling a fresh one back to version 1
    and writing what the schema-1 Tuner wrote) opens migrated."""
    SQLStorage(postgres_schema_url).close()
    engine = sa.create_engine(postgres_schema_url)
    dumps = json.dumps
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM schema_version WHERE version > 1"))
        conn.execute(
            sa.text(
                "INSERT INTO studies (study_id, study_name, n_trials, n_finished, datetime_created) "
                "VALUES (1, 'rag', 1, 1, now()), (2, 'plain', 0, 0, now())"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO study_directions VALUES (1, 0, 'maximize'), (1, 1, 'minimize'), (2, 0, 'minimize')"
            )
        )
        attrs = {"objectives": ["ndcg@10", "latency_p95_ms"], "constraints": [], "dataset": "python-docs"}
        for key, value in attrs.items():
            conn.execute(
                sa.text("INSERT INTO study_user_attrs VALUES (1, :k, :v)"), {"k": key, "v": dumps(value)}
            )
        conn.execute(
            sa.text("INSERT INTO study_user_attrs VALUES (2, 'objectives', :v)"), {"v": dumps(["loss"])}
        )
        conn.execute(
            sa.text(
                "INSERT INTO trials (trial_id, study_id, number, state, datetime_start, datetime_complete, "
                "finish_seq) VALUES (1, 1, 0, 'COMPLETE', now(), now(), 1)"
            )
        )
        conn.execute(sa.text("INSERT INTO trial_values VALUES (1, 0, 0.5), (1, 1, 12.0)"))
        trial_attrs = {
            "metrics": {"ndcg@10": 0.5, "latency_p95_ms": 12.0},
            "per_question": {
                "question_ids": ["q1", "q2"],
                "latency_s": [0.01, 0.02],
                "scores": {"ndcg@10": [1.0, 0.0]},
            },
            "questions_evaluated": 2,
            "note": "mine",
        }
        for key, value in trial_attrs.items():
            conn.execute(
                sa.text("INSERT INTO trial_user_attrs VALUES (1, :k, :v)"), {"k": key, "v": dumps(value)}
            )
    engine.dispose()
    storage = SQLStorage(postgres_schema_url)
    try:
        rag = rt.load_study(study_name="rag", storage=storage)
        assert rag.metric_names == ["ndcg@10", "latency_p95_ms"] and rag.user_attrs == {}
        (t,) = rag.trials
        assert dict(t.user_attrs) == {"note": "mine"}  # a key the Tuner never wrote stays the user's
        results = trial_results(t)
        assert results.metrics == {"ndcg@10": 0.5, "latency_p95_ms": 12.0}
        assert results.scores == {"ndcg@10": (1.0, 0.0)} and results.question_ids == ("q1", "q2")
        plain = rt.load_study(study_name="plain", storage=storage)
        assert plain.metric_names == ["loss"] and plain.user_attrs == {"objectives": ["loss"]}
    finally:
        storage.close()

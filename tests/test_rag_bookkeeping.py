"""A RAG study keeps ragtune's bookkeeping out of the user's attrs and out of ``trials_dataframe()``,
stores per-question scores once, and the TUI, ``ragtune best`` and ``ragtune export`` still show it."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import ragtune as rt
from ragtune.cli.app import app
from ragtune.objectives import trial_metrics, trial_results
from ragtune.pipelines import Pipeline, chunkers, readers, retrievers
from ragtune.samplers import RandomSampler
from ragtune.tui.trial_details import trial_details
from ragtune.tui.view_model import StudyModel, build_view, default_state
from ragtune.tuner import Tuner

OBJECTIVES = ["ndcg@10", "exact_match", "latency_p95_ms"]
CONSTRAINT = "latency_p95_ms <= 5000"


def _pipeline(trial: rt.Trial) -> Pipeline:
    size = trial.suggest_categorical("chunk_size", [256, 1024])
    return Pipeline(
        chunker=chunkers.Window(size, 0),
        retriever=retrievers.BM25(),
        reader=readers.Extractive(),
        k=trial.suggest_int("k", 3, 10),
    )


@pytest.fixture(scope="module")
def rag_study(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, rt.Study]:
    url = f"duckdb:///{tmp_path_factory.mktemp('rag') / 'rag.duckdb'}"
    tuner = Tuner(
        _pipeline,
        "python-docs",
        objectives=OBJECTIVES,
        constraints=[CONSTRAINT],
        storage=url,
        study_name="rag",
        sampler=RandomSampler(seed=2),
        pruner=rt.pruners.NopPruner(),
        cache=False,
        max_questions=12,
        seed=5,
    )
    study = tuner.optimize(n_trials=3)
    return url, study


def test_dataframe_has_no_bookkeeping_columns(rag_study: tuple[str, rt.Study]) -> None:
    _, study = rag_study
    df = study.trials_dataframe()
    assert list(df.columns) == [
        "number",
        "values_ndcg@10",
        "values_exact_match",
        "values_latency_p95_ms",
        "datetime_start",
        "datetime_complete",
        "duration",
        "params_chunk_size",
        "params_k",
        "state",
        f"constraints_{CONSTRAINT}",
    ]
    assert study.metric_names == OBJECTIVES
    for t in study.trials:
        assert dict(t.user_attrs) == {}
        assert t.named_constraints == {CONSTRAINT: pytest.approx(t.constraints[0])}  # type: ignore[index]


def test_per_question_scores_are_stored_once_and_read_back(rag_study: tuple[str, rt.Study]) -> None:
    _, study = rag_study
    for t in study.trials:
        results = trial_results(t)
        n = results.questions_evaluated
        assert n == 12 and len(results.latency_s) == n and len(results.retrieved) == n
        stored = t.system_attrs["ragtune:per_question"]
        # the objectives with plain per-question means come from the reported rows, not a second copy
        assert stored["reported"] == {"step": 12, "columns": {"ndcg@10": 0, "exact_match": 1}}
        assert "ndcg@10" not in stored["scores"] and "exact_match" not in stored["scores"]
        rows = t.intermediate_scores[12]
        assert results.scores["ndcg@10"] == tuple(r[0] for r in rows)
        # independent check: the mean of the per-question scores is the objective value
        ndcg = [v for v in results.scores["ndcg@10"] if v is not None]
        assert t.values is not None and math.isclose(sum(ndcg) / len(ndcg), t.values[0], rel_tol=1e-12)
        em = [v for v in results.scores["exact_match"] if v is not None]
        assert math.isclose(sum(em) / len(em), t.values[1], rel_tol=1e-12)
        assert trial_metrics(t)["ndcg@10"] == pytest.approx(t.values[0])
        assert results.pipeline is not None and results.pipeline  # the pipeline config


def test_tui_details_show_metrics_and_pipeline(rag_study: tuple[str, rt.Study]) -> None:
    _, study = rag_study
    model = StudyModel(
        "rag", study.directions, study.trials, user_attrs=study.user_attrs, system_attrs=study.system_attrs
    )
    assert model.objective_names == tuple(OBJECTIVES)
    assert model.constraints == (CONSTRAINT,)
    assert "recall@10" not in model.metric_names  # only what the evaluator computed
    view = build_view(model, default_state(model))
    sections = {s.title: dict(s.lines) for s in trial_details(model, view, study.trials[0].number)}
    assert sections["Objectives & metrics"]["ndcg@10 ↑"] != "—"
    assert sections["Pipeline & evaluation"]["questions evaluated"] == "12"
    assert sections["Trial #0"][CONSTRAINT].startswith("ok")


def test_best_and_export_show_metrics_and_per_question_only_when_asked(
    rag_study: tuple[str, rt.Study], tmp_path: Path
) -> None:
    url, study = rag_study
    runner = CliRunner()
    best = runner.invoke(app, ["best", "rag", "--storage", url, "--json"])
    assert best.exit_code == 0, best.output
    doc = json.loads(best.output)
    assert doc["objectives"] == OBJECTIVES
    front = doc["pareto_front"]
    assert front and all("ndcg@10" in r["metrics"] and r["questions_evaluated"] == 12 for r in front)
    assert all("per_question" not in r and r["user_attrs"] == {} for r in front)
    table = runner.invoke(app, ["best", "rag", "--storage", url])
    assert table.exit_code == 0 and "ndcg@10" in table.output

    out = tmp_path / "rag.csv"
    assert runner.invoke(app, ["export", "rag", "--storage", url, "-o", str(out)]).exit_code == 0
    df = pd.read_csv(out)
    assert {"ndcg@10", "metrics_ndcg@10", "metrics_latency_p95_ms", "questions_evaluated", "pipeline"} <= set(
        df.columns
    )
    assert "per_question" not in df.columns
    assert df["ndcg@10"].tolist() == pytest.approx([t.values[0] for t in study.trials])  # type: ignore[index]
    full = tmp_path / "rag-full.csv"
    args = ["export", "rag", "--storage", url, "-o", str(full), "--with-per-question"]
    assert runner.invoke(app, args).exit_code == 0
    per_question = json.loads(pd.read_csv(full)["per_question"].iloc[0])
    assert len(per_question["question_ids"]) == 12
    assert per_question["scores"]["ndcg@10"] == list(trial_results(study.trials[0]).scores["ndcg@10"])

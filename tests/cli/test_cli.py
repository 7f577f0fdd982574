"""Every CLI command through Typer's CliRunner, JSON output parsed back."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import ragtune as rt
from ragtune.cli.app import app

runner = CliRunner()

COMMON = ["--sampler", "random", "--seed", "1", "--max-questions", "30"]


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_version():
    assert _ok(["--version"]).strip() == f"ragtune {rt.__version__}"


def test_optimize_then_inspect_export_and_delete(tiny_pipeline, duckdb_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = json.loads(
        _ok(
            [
                "optimize",
                str(tiny_pipeline),
                "--storage",
                duckdb_url,
                "--n-trials",
                "4",
                "--study",
                "demo",
                "--json",
                *COMMON,
            ]
        )
    )
    assert (
        out["study"] == "demo" and out["n_trials"] == 4 and out["objectives"] == ["ndcg@10", "latency_p95_ms"]
    )
    assert out["pareto_front"] and all(
        set(t["values"]) == {"ndcg@10", "latency_p95_ms"} for t in out["pareto_front"]
    )
    # resuming continues the same study
    again = json.loads(
        _ok(
            [
                "optimize",
                str(tiny_pipeline),
                "--storage",
                duckdb_url,
                "--n-trials",
                "2",
                "--study",
                "demo",
                "--json",
                *COMMON,
            ]
        )
    )
    assert again["n_trials"] == 6 and again["new_trials"] == 2

    listed = json.loads(_ok(["studies", "list", "--storage", duckdb_url, "--json"]))
    assert [s["name"] for s in listed] == ["demo"] and listed[0]["n_trials"] == 6
    shown = json.loads(_ok(["studies", "show", "demo", "--storage", duckdb_url, "--json"]))
    assert shown["constraints"] == ["latency_p95_ms <= 5000"] and shown["n_trials"] == 6
    best = json.loads(_ok(["best", "demo", "--storage", duckdb_url, "--json"]))
    assert [t["number"] for t in best["pareto_front"]] == [t["number"] for t in shown["pareto_front"]]
    assert "Pareto front" in _ok(["best", "demo", "--storage", duckdb_url])

    for fmt in ("csv", "json", "parquet"):
        target = tmp_path / f"out.{fmt}"
        _ok(["export", "demo", "--storage", duckdb_url, "--format", fmt, "--output", str(target)])
        readers = {"csv": pd.read_csv, "json": pd.read_json, "parquet": _read_parquet}
        df = readers[fmt](target)
        assert len(df) == 6 and {"ndcg@10", "latency_p95_ms", "params_chunk_size"} <= set(df.columns)
    _ok(["export", "demo", "--storage", duckdb_url, "--pareto-only", "--output", str(tmp_path / "p.csv")])
    assert len(pd.read_csv(tmp_path / "p.csv")) == len(best["pareto_front"])

    info = json.loads(_ok(["cache", "info", "--cache-dir", str(tmp_path / ".ragtune" / "cache"), "--json"]))
    assert info  # the runs above filled the cache next to the DuckDB file
    _ok(["cache", "clear", "--cache-dir", str(tmp_path / ".ragtune" / "cache"), "--yes"])

    _ok(["studies", "delete", "demo", "--storage", duckdb_url, "--yes"])
    assert json.loads(_ok(["studies", "list", "--storage", duckdb_url, "--json"])) == []


def _read_parquet(path: Path) -> pd.DataFrame:
    import duckdb

    return duckdb.sql(f"select * from read_parquet('{path}')").df()


def _fails(args: list[str], code: int = 1) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == code, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.output
    return errors[0]


def test_bad_input_catalogue(tiny_pipeline, duckdb_url, tmp_path):
    base = ["--storage", duckdb_url, "--n-trials", "1", *COMMON]
    assert "does not exist" in _fails(["optimize", str(tmp_path / "nope.py"), *base])
    txt = tmp_path / "pipeline.txt"
    txt.write_text("x = 1")
    assert "is not a Python file" in _fails(["optimize", str(txt), *base])
    broken = tmp_path / "broken.py"
    broken.write_text("def pipeline(trial)\n    return 1\n")
    assert f"{broken}:1:" in _fails(["optimize", str(broken), *base])
    nofn = tmp_path / "nofn.py"
    nofn.write_text("dataset = 'python-docs'\n")
    assert "defines no 'pipeline'" in _fails(["optimize", str(nofn), *base])
    twoargs = tmp_path / "twoargs.py"
    twoargs.write_text("dataset = 'python-docs'\ndef pipeline(trial, extra):\n    pass\n")
    assert "must take exactly one argument" in _fails(["optimize", str(twoargs), *base])
    wrong = tmp_path / "wrong.py"
    wrong.write_text("dataset = 'python-docs'\ndef pipeline(trial):\n    return 42\n")
    assert "must return a ragtune.pipelines.Pipeline, but returned int" in _fails(
        ["optimize", str(wrong), *base]
    )
    assert "did you mean 'ndcg@10'" in _fails(
        ["optimize", str(tiny_pipeline), *base, "--objective", "ndgc@10"]
    )
    assert "latency_p95_ms <==" in _fails(
        ["optimize", str(tiny_pipeline), *base, "--constraint", "latency_p95_ms <== 3"]
    )
    result = runner.invoke(app, ["optimize", str(tiny_pipeline), "--sampler", "annealing"])
    assert result.exit_code == 2 and "annealing" in result.output
    assert "needs PostgreSQL storage" in _fails(["optimize", str(tiny_pipeline), *base, "--workers", "2"])
    # a study created with other objectives
    _ok(["optimize", str(tiny_pipeline), *base, "--study", "s1"])
    msg = _fails(["optimize", str(tiny_pipeline), *base, "--study", "s1", "--objective", "recall@5"])
    assert "other" in msg or "created with" in msg
    assert "no study named 'missing'" in _fails(["best", "missing", "--storage", duckdb_url])


def test_debug_shows_traceback(tmp_path):
    result = runner.invoke(app, ["--debug", "best", "x", "--storage", "mysql://u:secret@h/db"])
    assert result.exit_code != 0 and result.exception is not None
    masked = runner.invoke(app, ["best", "x", "--storage", "mysql://u:secret@h/db"])
    assert masked.exit_code == 1 and "secret" not in masked.output and "***" in masked.stderr


@pytest.mark.parametrize("path", [Path("examples/python_docs_rag.py")])
def test_example_file_loads(path):
    from ragtune.cli.pipeline_file import load_pipeline_file

    pf = load_pipeline_file(path)
    assert pf.objectives == ["ndcg@10:max", "latency_mean_ms:min", "safety_pass_rate:max"]
    pipe = pf.pipeline(
        rt.FixedTrial(
            {
                "chunk_size": 512,
                "overlap": 64,
                "retriever": "bm25",
                "bm25_k1": 1.2,
                "bm25_b": 0.75,
                "rerank": "none",
                "guard_context": True,
                "k": 5,
            }
        )
    )
    assert pipe.config()

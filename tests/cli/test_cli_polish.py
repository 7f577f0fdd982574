"""The smaller things a user meets in the CLI: help text, resume announcement, dataset paths
relative to the pipeline file, readable cache info, one line per trial when output is piped."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

PIPELINE = """
import ragtune as rt
from ragtune.pipelines import Pipeline, chunkers, readers, retrievers

dataset = "data/"  # a folder next to this file
objectives = ["ndcg@10:max", "latency_p95_ms:min"]

def pipeline(trial):
    size = trial.suggest_int("chunk_size", 64, 256, step=64)
    return Pipeline(chunker=chunkers.Window(size, 0), retriever=retrievers.BM25(),
                    reader=readers.Extractive(), k=trial.suggest_categorical("k", [1, 3]))
"""


def ragtune(cwd: Path, *args: str, columns: int = 200) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "RAGTUNE_STORAGE"}
    env["COLUMNS"] = str(columns)
    return subprocess.run(
        [sys.executable, "-m", "ragtune", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """``project/pipe.py`` with its eval set in ``project/data/`` (JSONL)."""
    root = tmp_path / "project"
    data = root / "data"
    data.mkdir(parents=True)
    docs = [
        ("d1", "Python lists are mutable sequences that keep insertion order."),
        ("d2", "Tuples are immutable sequences, often used for fixed records."),
        ("d3", "Dictionaries map hashable keys to values with fast lookup."),
        ("d4", "Sets hold unique hashable elements and support union and intersection."),
    ]
    (data / "corpus.jsonl").write_text("".join(json.dumps({"_id": i, "text": t}) + "\n" for i, t in docs))
    questions = [
        ("q1", "which sequence is mutable?", "d1"),
        ("q2", "what maps keys to values?", "d3"),
        ("q3", "what holds unique elements?", "d4"),
        ("q4", "which sequence is immutable?", "d2"),
    ]
    (data / "queries.jsonl").write_text(
        "".join(json.dumps({"_id": q, "text": t}) + "\n" for q, t, _ in questions)
    )
    (data / "qrels.tsv").write_text("".join(f"{q}\t{d}\t1\n" for q, _, d in questions))
    (root / "pipe.py").write_text(PIPELINE)
    return root


def test_dataset_path_is_relative_to_the_pipeline_file_and_resume_is_announced(
    project: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    db = elsewhere / "runs.duckdb"
    first = ragtune(
        elsewhere,
        "optimize",
        str(project / "pipe.py"),
        "--storage",
        f"duckdb:///{db}",
        "-n",
        "3",
        "--seed",
        "1",
    )
    assert first.returncode == 0, first.stderr
    assert "resuming" not in first.stderr
    # One plain line per trial when stdout is not a terminal.
    assert (
        len([ln for ln in first.stdout.splitlines() if re.match(r"trial \d+ (done|pruned|failed)", ln)]) == 3
    )
    # The cache's place and size, at the end of the run.
    assert re.search(
        r"^cache: [\d.]+ (B|kB|MB) in \d+ entries at " + re.escape(str(elsewhere / ".ragtune" / "cache")),
        first.stdout,
        re.M,
    )
    best = json.loads(ragtune(elsewhere, "best", "pipe", "--storage", f"duckdb:///{db}", "--json").stdout)
    ndcg = max(t["values"]["ndcg@10"] for t in best["pareto_front"])
    second = ragtune(
        elsewhere,
        "optimize",
        str(project / "pipe.py"),
        "--storage",
        f"duckdb:///{db}",
        "-n",
        "2",
        "--seed",
        "2",
    )
    assert second.returncode == 0, second.stderr
    line = next(ln for ln in second.stderr.splitlines() if ln.startswith("resuming"))
    assert line.startswith(f"resuming study pipe in duckdb:///{db}: 3 trials done, best ndcg@10={ndcg:.4g}")
    assert line.endswith("; running 2 more (--n-trials counts new trials)")
    # The progress lines' best is the study's best (from the first run too), not this run's.
    first_line = next(ln for ln in second.stdout.splitlines() if ln.startswith("trial 3 "))
    assert float(first_line.split("best ndcg@10=")[1].split()[0]) >= float(f"{ndcg:.4g}")


def test_help_shows_words_not_type_placeholders() -> None:
    out = ragtune(Path.cwd(), "optimize", "--help", columns=160).stdout
    assert "<bool>" not in out and "<str>" not in out and "<int>" not in out and "list[" not in out
    assert "{" not in out.split("Usage:")[1].splitlines()[0]
    assert "PIPELINE.py" in out and "default 20" in out
    best = ragtune(Path.cwd(), "best", "--help", columns=160).stdout
    assert "Usage: python -m ragtune best [OPTIONS] STUDY" in best and "<bool>" not in best


def test_cache_info_is_readable(project: Path, tmp_path: Path) -> None:
    db = tmp_path / "runs.duckdb"
    assert (
        ragtune(
            tmp_path, "optimize", str(project / "pipe.py"), "--storage", f"duckdb:///{db}", "-n", "1"
        ).returncode
        == 0
    )
    out = ragtune(tmp_path, "cache", "info").stdout.splitlines()
    assert out[0] == f"cache folder: {tmp_path.resolve() / '.ragtune' / 'cache'}"
    assert re.fullmatch(r"size: [\d.]+ (B|kB|MB) in \d+ entries \(limit 2\.1 GB\)", out[1]), out
    assert out[2:] and all(re.fullmatch(r"  \S+\s+\d+ entries\s+[\d.]+ (B|kB|MB)", ln) for ln in out[2:]), out

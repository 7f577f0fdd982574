"""Watching a DuckDB study from other processes while ``ragtune optimize`` runs on it: ``best --json``,
``studies list`` and the TUI (in their own processes) see finished trials, then more of them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent

SLOW_PIPELINE = """
import time
import ragtune as rt
from ragtune.pipelines import Pipeline, chunkers, readers, retrievers

dataset = rt.datasets.load("python-docs")
objectives = ["ndcg@10:max", "latency_p95_ms:min"]

def pipeline(trial):
    time.sleep(1.0)  # a trial takes a while, so the watchers run while trials are still coming
    size = trial.suggest_int("chunk_size", 256, 1024, step=256)
    return Pipeline(chunker=chunkers.Window(size, 32), retriever=retrievers.BM25(),
                    reader=readers.Extractive(), k=trial.suggest_categorical("k", [3, 10]))
"""


def ragtune(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ragtune", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture()
def optimizing(tmp_path: Path):
    (tmp_path / "slow.py").write_text(SLOW_PIPELINE)
    db = tmp_path / "runs.duckdb"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ragtune",
            "optimize",
            "slow.py",
            "--storage",
            f"duckdb:///{db}",
            "--n-trials",
            "500",
            "--seed",
            "0",
            "--max-questions",
            "10",
            "--pruner",
            "none",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield proc, db
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)


def finished_in_best(db: Path, cwd: Path) -> int:
    out = ragtune("best", "slow", "--storage", f"duckdb:///{db}", "--json", cwd=cwd)
    assert out.returncode == 0, out.stderr
    return len(json.loads(out.stdout)["pareto_front"])


def n_trials_listed(db: Path, cwd: Path) -> int:
    out = ragtune("studies", "list", "--storage", f"duckdb:///{db}", "--json", cwd=cwd)
    assert out.returncode == 0, out.stderr
    (row,) = json.loads(out.stdout)
    return int(row["n_trials"])


def wait_for(predicate, what: str, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_best_studies_and_tui_see_a_running_optimisation(optimizing, tmp_path: Path) -> None:
    proc, db = optimizing
    watch_dir = tmp_path / "elsewhere"
    watch_dir.mkdir()
    wait_for(lambda: db.exists() and (tmp_path / ".runs.duckdb.live").exists(), "the first snapshot")
    first: list[int] = []
    wait_for(lambda: first.append(n_trials_listed(db, watch_dir)) or first[-1] >= 1, "a finished trial")
    assert proc.poll() is None, "the optimiser should still be running"
    front = finished_in_best(db, watch_dir)
    assert front >= 1
    # The TUI, in its own process, shows finished trials and then more, live.
    tui = subprocess.run(
        [sys.executable, str(HERE / "tui_watcher.py"), f"duckdb:///{db}", "slow", "90"],
        cwd=watch_dir,
        capture_output=True,
        text=True,
        timeout=150,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])},
    )
    seen = [json.loads(line) for line in tui.stdout.splitlines() if line.startswith("{")]
    assert tui.returncode == 0, tui.stderr[-3000:]
    counts = [s["finished"] for s in seen]
    assert len(counts) >= 2 and counts[0] >= 1 and counts[-1] > counts[0], counts
    assert "live snapshot" in seen[0]["sub_title"]
    # Later, the list sees more than the first time, while the run goes on.
    later = n_trials_listed(db, watch_dir)
    assert later > first[-1]
    assert proc.poll() is None
    # The watchers created nothing in their folder or next to the database.
    assert sorted(p.name for p in watch_dir.iterdir()) == []
    proc.kill()

"""Bad trials do not end a run: real ``ragtune optimize`` subprocesses on pipeline files whose
conditional space breaks a stage rule for some trials or whose ``pipeline()`` raises for some params."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb

MIXED = """
import ragtune as rt
from ragtune.pipelines import Pipeline, chunkers, readers, retrievers

dataset = rt.datasets.load("python-docs")
objectives = ["ndcg@10:max", "latency_p95_ms:min"]

def pipeline(trial):
    size = trial.suggest_categorical("chunk_size", [64, 512])
    overlap = trial.suggest_categorical("overlap", [0, 128])
    if trial.suggest_int("mode", 0, 3) == 3:
        raise RuntimeError("mode 3 is not supported")
    return Pipeline(chunker=chunkers.Window(size, overlap), retriever=retrievers.BM25(),
                    reader=readers.Extractive(), k=3)
"""

ALL_BAD = """
import ragtune as rt

dataset = rt.datasets.load("python-docs")

def pipeline(trial):
    trial.suggest_int("x", 0, 10)
    return {"not": "a pipeline"}
"""


def run_optimize(tmp_path: Path, source: str, *args: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    path = tmp_path / "pipe.py"
    path.write_text(textwrap.dedent(source))
    db = tmp_path / "runs.duckdb"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "ragtune",
            "optimize",
            str(path),
            "--storage",
            f"duckdb:///{db}",
            "--sampler",
            "random",
            "--seed",
            "3",
            "--max-questions",
            "12",
            *args,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )
    return proc, db


def stored(db: Path) -> list[tuple[int, str, str | None]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("select number, state, fail_reason from trials order by number").fetchall()
    finally:
        con.close()
    return [(int(n), str(s), r) for n, s, r in rows]


def test_bad_trials_fail_one_line_each_and_the_run_goes_on(tmp_path: Path) -> None:
    proc, db = run_optimize(tmp_path, MIXED, "--n-trials", "12")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr + proc.stdout
    rows = stored(db)
    assert len(rows) == 12
    failed = {n: r for n, s, r in rows if s == "FAIL"}
    reasons = set(failed.values())
    # Both kinds of failure happened (seeded), and some trials completed.
    assert "RuntimeError: mode 3 is not supported" in reasons, reasons
    assert "ConfigError: Window: overlap must be < size, but got overlap=128, size=64" in reasons, reasons
    assert any(s == "COMPLETE" for _, s, _ in rows)
    # One line per failed trial, naming the trial, the exception and the pipeline file's line.
    lines = [ln for ln in proc.stdout.splitlines() if " failed: " in ln and ln.startswith("trial ")]
    assert sorted(int(ln.split()[1]) for ln in lines) == sorted(failed)
    for ln in lines:
        n = int(ln.split()[1])
        assert ln == f"trial {n} failed: {failed[n]} (at pipe.py:{12 if 'mode 3' in ln else 13})", ln
    # The end-of-run summary groups failures by reason.
    groups = [ln for ln in proc.stderr.splitlines() if re.match(r"\s+\d+ x ", ln)]
    assert len(groups) == 2 and f"{len(failed)} of 12 trials of this run failed:" in proc.stderr


def test_all_trials_failing_stops_early_exits_1_with_one_summary_line(tmp_path: Path) -> None:
    proc, db = run_optimize(tmp_path, ALL_BAD, "--n-trials", "20")
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    rows = stored(db)
    assert len(rows) == 5 and all(s == "FAIL" for _, s, _ in rows)  # stopped after 5 of 20
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert errors == [proc.stderr.splitlines()[-1]]
    assert errors[0].startswith(
        "error: all 5 trials of this run failed: 5 x ConfigError: pipeline(trial) must return"
    )
    assert "(at pipe.py:" not in errors[0]  # raised by ragtune itself, not at a line of the file
    assert "stopped early" in errors[0]


def test_fail_fast_stops_at_the_first_failure(tmp_path: Path) -> None:
    proc, db = run_optimize(tmp_path, MIXED, "--n-trials", "12", "--fail-fast")
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    rows = stored(db)
    assert rows[-1][1] == "FAIL" and all(s != "FAIL" for _, s, _ in rows[:-1]) and len(rows) < 12
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: trial {rows[-1][0]} failed: {rows[-1][2]} (at pipe.py:1")
    assert f"stopped by --fail-fast, {len(rows)} trials kept in" in last


def test_an_exception_in_the_python_api_is_a_fail_trial_with_a_visible_warning(tmp_path: Path) -> None:
    code = textwrap.dedent(
        """
        import ragtune as rt
        def objective(trial):
            x = trial.suggest_float("x", 0, 1)
            if trial.number == 1:
                raise ValueError("bad x")
            return x
        study = rt.create_study()
        study.optimize(objective, n_trials=3, catch=(ValueError,))
        print([t.state.name for t in study.trials])
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "['COMPLETE', 'FAIL', 'COMPLETE']"
    # Code given with -c has no file to point at, so the line names no place.
    assert proc.stderr.strip() == "[ragtune WARNING] trial 1 failed: ValueError: bad x", proc.stderr

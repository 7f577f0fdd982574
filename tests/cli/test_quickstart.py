"""The README's quick start, as a new user runs it: a subprocess against a temporary DuckDB file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(
    os.environ.get("RAGTUNE_RUN_SLOW", "") in ("", "0"),
    reason="tests/examples/test_readme.py runs the README's 30-trial quick start; set RAGTUNE_RUN_SLOW=1",
)
def test_quickstart_optimize_in_a_subprocess(tmp_path):
    exe = shutil.which("ragtune")
    cmd = [exe] if exe else [sys.executable, "-m", "ragtune"]
    db = tmp_path / "ragtune.duckdb"
    env = {**os.environ, "COLUMNS": "120"}
    proc = subprocess.run(
        [
            *cmd,
            "optimize",
            str(REPO / "examples" / "python_docs_rag.py"),
            "--n-trials",
            "12",
            "--storage",
            f"duckdb:///{db}",
            "--seed",
            "0",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Pareto front" in proc.stdout and "results stored in" in proc.stdout
    con = duckdb.connect(str(db), read_only=True)
    try:
        n = con.execute("select count(*) from trials").fetchone()
    finally:
        con.close()
    assert n is not None and n[0] == 12

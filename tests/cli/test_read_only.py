"""Read-only commands never create or change files: on a missing DuckDB file or study they print one
line naming the path they looked in, and the folder's files (names, sizes, times) are unchanged."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import ragtune as rt


def listing(folder: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for root, dirs, files in os.walk(folder):
        for name in [*dirs, *files]:
            p = Path(root, name)
            st = p.stat()
            out[str(p.relative_to(folder))] = (st.st_size, st.st_mtime_ns)
    return out


def ragtune(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "RAGTUNE_STORAGE"}
    return subprocess.run(
        [sys.executable, "-m", "ragtune", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


READ_ONLY = [
    ("best", "demo"),
    ("studies", "list"),
    ("studies", "show", "demo"),
    ("export", "demo", "--format", "csv"),
    ("tui", "demo"),
    ("studies", "delete", "demo", "--yes"),  # not read-only, but must not create a database either
]


@pytest.mark.parametrize("args", READ_ONLY, ids=[" ".join(a) for a in READ_ONLY])
def test_missing_file_names_the_path_and_creates_nothing(tmp_path: Path, args: tuple[str, ...]) -> None:
    (tmp_path / "notes.txt").write_text("a user's file")
    before = listing(tmp_path)
    proc = ragtune(tmp_path, *args)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert lines == [
        f"error: no DuckDB file at {tmp_path.resolve() / 'ragtune.duckdb'}; run `ragtune optimize "
        "PIPELINE.py` in this folder first, or pass --storage duckdb:///path/to/file.duckdb"
    ]
    assert listing(tmp_path) == before


@pytest.fixture()
def folder_with_a_study(tmp_path: Path) -> Path:
    storage = rt.storage.get_storage(f"duckdb:///{tmp_path / 'ragtune.duckdb'}")
    study = rt.create_study(storage=storage, study_name="other")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    storage.close()
    return tmp_path


@pytest.mark.parametrize(
    "args",
    [a for a in READ_ONLY if a != ("studies", "list")],
    ids=[" ".join(a) for a in READ_ONLY if a != ("studies", "list")],
)
def test_missing_study_names_the_file_and_changes_nothing(
    folder_with_a_study: Path, args: tuple[str, ...]
) -> None:
    before = listing(folder_with_a_study)
    proc = ragtune(folder_with_a_study, *args)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: no study named 'demo'; existing: ")
    assert "other" in lines[0] and str(folder_with_a_study.resolve() / "ragtune.duckdb") in lines[0]
    assert listing(folder_with_a_study) == before


def test_reading_an_existing_study_changes_nothing(folder_with_a_study: Path) -> None:
    before = listing(folder_with_a_study)
    for args in (("best", "other"), ("studies", "list"), ("studies", "show", "other", "--json")):
        proc = ragtune(folder_with_a_study, *args)
        assert proc.returncode == 0, proc.stderr
    assert listing(folder_with_a_study) == before


def test_export_pareto_only_does_not_overwrite_the_full_export(folder_with_a_study: Path) -> None:
    full = ragtune(folder_with_a_study, "export", "other")
    pareto = ragtune(folder_with_a_study, "export", "other", "--pareto-only")
    assert full.stdout.strip() == "wrote 3 trials to other.csv"
    assert pareto.stdout.strip() == "wrote 1 Pareto-optimal trials to other-pareto.csv"
    assert len((folder_with_a_study / "other.csv").read_text().splitlines()) == 4
    again = ragtune(folder_with_a_study, "export", "other")
    assert again.stdout.strip() == "wrote 3 trials to other.csv (replaced the file that was there)"


def test_cache_info_on_a_missing_cache_creates_nothing(tmp_path: Path) -> None:
    before = listing(tmp_path)
    proc = ragtune(tmp_path, "cache", "info")
    assert proc.returncode == 0, proc.stderr
    assert (
        proc.stdout.splitlines()[0]
        == f"cache folder: {tmp_path.resolve() / '.ragtune' / 'cache'} (does not exist yet)"
    )
    assert listing(tmp_path) == before


def test_a_rejected_objective_leaves_no_database(tmp_path: Path) -> None:
    (tmp_path / "p.py").write_text(
        "import ragtune as rt\nfrom ragtune.pipelines import Pipeline, chunkers, retrievers\n"
        "dataset = rt.datasets.load('python-docs')\n"
        "def pipeline(trial):\n    return Pipeline(chunker=chunkers.Window(256, 0), retriever=retrievers.BM25())\n"
    )
    before = listing(tmp_path)
    proc = ragtune(tmp_path, "optimize", "p.py", "--objective", "ndcg@ten:max", "-n", "1")
    assert proc.returncode == 1 and proc.stderr.strip().splitlines()[-1].startswith("error: "), proc.stderr
    after = listing(tmp_path)
    assert {k for k in after if not k.startswith("__pycache__")} == set(before)

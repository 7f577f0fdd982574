from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

TINY = """
import ragtune as rt
from ragtune.pipelines import Pipeline, chunkers, readers, retrievers

dataset = rt.datasets.load("python-docs")
objectives = ["ndcg@10:max", "latency_p95_ms:min"]
constraints = ["latency_p95_ms <= 5000"]

def pipeline(trial):
    size = trial.suggest_int("chunk_size", 256, 1024, step=256)
    overlap = trial.suggest_int("overlap", 64, 128) if size > 512 else trial.suggest_int("overlap", 0, 48)
    return Pipeline(chunker=chunkers.Window(size, overlap), retriever=retrievers.BM25(),
                    reader=readers.Extractive(), k=trial.suggest_categorical("k", [3, 10]))
"""


@pytest.fixture()
def tiny_pipeline(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.py"
    path.write_text(textwrap.dedent(TINY))
    return path


@pytest.fixture()
def duckdb_url(tmp_path: Path) -> str:
    return f"duckdb:///{tmp_path / 'runs.duckdb'}"

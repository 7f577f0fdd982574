"""examples/beir_rag.py runs end to end on a tiny BEIR folder made here (and on SciFact, slow)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import ragtune as rt

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "beir_rag.py"
SCIFACT = Path(os.environ.get("RAGTUNE_SCIFACT", "/work/shared/data/scifact-train"))

TOPICS = {
    "bees": ("Honey bee colonies", "Worker bees forage for nectar and pollen and store honey in the hive."),
    "rust": ("Iron corrosion", "Rust forms when iron reacts with oxygen and water over time."),
    "tides": ("Ocean tides", "Tides rise and fall because the moon's gravity pulls on the oceans."),
    "vaccines": ("Vaccination", "Vaccines train the immune system to recognise a virus before infection."),
    "volcano": ("Volcanic eruptions", "Magma rises through the crust and erupts as lava and ash."),
    "bread": ("Bread making", "Yeast ferments sugar in dough, releasing gas that makes bread rise."),
}
CLAIMS = {
    "q1": ("Bees store nectar as honey in their hive.", "bees"),
    "q2": ("The moon causes ocean tides.", "tides"),
    "q3": ("Iron rusts in water and oxygen.", "rust"),
    "q4": ("Yeast makes dough rise.", "bread"),
    "q5": ("Immunisation prepares the immune system for a virus.", "vaccines"),
    "q6": ("Lava comes from magma rising through the crust.", "volcano"),
}


def write_beir(folder: Path) -> Path:
    (folder / "qrels").mkdir(parents=True)
    with (folder / "corpus.jsonl").open("w") as f:
        for doc_id, (title, text) in TOPICS.items():
            f.write(json.dumps({"_id": doc_id, "title": title, "text": text, "metadata": {}}) + "\n")
    with (folder / "queries.jsonl").open("w") as f:
        for qid, (text, _) in CLAIMS.items():
            f.write(json.dumps({"_id": qid, "text": text, "metadata": {}}) + "\n")
    rows = ["query-id\tcorpus-id\tscore", *(f"{q}\t{d}\t1" for q, (_, d) in CLAIMS.items())]
    (folder / "qrels" / "test.tsv").write_text("\n".join(rows) + "\n")
    return folder


def run_example(
    tmp_path: Path, dataset: Path, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ragtune", "optimize", str(EXAMPLE), "--dataset", str(dataset),
         "--storage", f"duckdb:///{tmp_path}/beir.duckdb", "--study", "beir", "--seed", "0", *args],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", **env},
    )  # fmt: skip


def test_the_example_ships_no_dataset() -> None:
    assert not [p for p in (REPO / "examples").rglob("*") if p.suffix in {".jsonl", ".tsv", ".csv"}]
    assert "scifact" not in EXAMPLE.read_text().lower()


def test_beir_example_tunes_a_tiny_beir_folder(tmp_path: Path) -> None:
    folder = write_beir(tmp_path / "tiny-beir")
    env = {"RAGTUNE_BEIR_MODELS": "tfidf-svd", "RAGTUNE_BEIR_CHUNK_SIZES": "128,512"}
    proc = run_example(tmp_path, folder, env, "--n-trials", "8", "--pruner", "none")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    study = rt.load_study(study_name="beir", storage=f"duckdb:///{tmp_path}/beir.duckdb")
    done = study.get_trials(states=(rt.TrialState.COMPLETE,))
    assert len(done) == 8
    kinds = {t.params["retriever"] for t in done}
    assert kinds <= {"bm25", "dense", "hybrid"} and len(kinds) >= 2
    assert {t.params["embedding_model"] for t in done if "embedding_model" in t.params} <= {"tfidf-svd"}
    assert max(t.values[0] for t in done) >= 0.8  # six distinct topics: the right abstract ranks high


def test_beir_example_without_a_dataset_says_how_to_give_one(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "RAGTUNE_BEIR_DATASET"}
    proc = subprocess.run(
        [sys.executable, "-m", "ragtune", "optimize", str(EXAMPLE), "--storage", f"duckdb:///{tmp_path}/x.duckdb"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env={**env, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert proc.returncode != 0
    assert "pass --dataset PATH" in proc.stdout + proc.stderr


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("RAGTUNE_RUN_SLOW", "") in ("", "0"), reason="minutes on SciFact; set RAGTUNE_RUN_SLOW=1"
)
@pytest.mark.skipif(not SCIFACT.is_dir(), reason=f"needs the SciFact train folder at {SCIFACT}")
def test_beir_example_on_scifact_bm25(tmp_path: Path) -> None:
    env = {"RAGTUNE_BEIR_MODELS": "-", "RAGTUNE_BEIR_CHUNK_SIZES": "4096"}
    proc = run_example(tmp_path, SCIFACT, env, "--n-trials", "4", "--max-questions", "200")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    study = rt.load_study(study_name="beir", storage=f"duckdb:///{tmp_path}/beir.duckdb")
    done = study.get_trials(states=(rt.TrialState.COMPLETE,))
    assert done and max(t.values[0] for t in done) > 0.55  # BM25 on SciFact: about 0.65-0.68

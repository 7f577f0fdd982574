"""Bad input around LLMs: one clear line naming the problem and the fix (no model needed)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ragtune.exceptions import ConfigError, GeneratorError
from ragtune.pipelines import ModelServer, readers
from ragtune.tuner import Tuner

ENV = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}


@pytest.fixture()
def not_gguf(tmp_path: Path) -> Path:
    path = tmp_path / "model.gguf"
    path.write_bytes(b"PK\x03\x04 this is a zip, not a model")
    return path


def test_a_file_that_is_not_gguf_is_refused(not_gguf: Path, tmp_path: Path) -> None:
    expected = rf"model file '{not_gguf}' is not a GGUF file \(it starts with b'PK\\x03\\x04'"
    with pytest.raises(ConfigError, match=expected):
        readers.GGUFGenerator(not_gguf)
    with pytest.raises(ConfigError, match=expected):
        ModelServer(not_gguf)
    with pytest.raises(ConfigError, match="does not exist"):
        readers.GGUFGenerator(tmp_path / "missing.gguf")
    with pytest.raises(ConfigError, match="is a folder"):
        readers.GGUFGenerator(tmp_path)


def test_serve_model_cli_refuses_a_non_gguf_file_in_one_line(not_gguf: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ragtune", "serve-model", str(not_gguf), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "is not a GGUF file" in lines[0] and lines[0].startswith("error: ")


def test_serve_model_binds_to_this_machine_only(not_gguf: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ragtune", "serve-model", str(not_gguf), "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
    )
    assert done.returncode == 1 and "binds to this machine only" in done.stderr


def test_an_unreachable_server_is_one_line_naming_the_url() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed when the block ends: nothing listens there
    url = f"http://user:secret@127.0.0.1:{port}/v1"
    generator = readers.OpenAIGenerator(url, "m", max_retries=1, backoff=0.0)
    with pytest.raises(GeneratorError) as info:
        generator.read("Q?", ["ctx"])
    message = str(info.value)
    assert "\n" not in message and "secret" not in message
    assert message.startswith(
        f"OpenAIGenerator: POST http://***@127.0.0.1:{port}/v1/completions failed after 2"
    )
    assert "is the server running? (start one with: ragtune serve-model MODEL.gguf)" in message


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"price_per_1k_input": -0.01},
            r"price_per_1k_input must be >= 0 .* but got price_per_1k_input=-0.01",
        ),
        ({"price_per_1k_output": float("nan")}, r"price_per_1k_output must be a finite number"),
    ],
)
def test_a_negative_or_undefined_price_is_refused(kwargs: dict[str, float], match: str) -> None:
    from ragtune.pipelines import Pipeline, chunkers, retrievers

    def pipeline(trial: object) -> Pipeline:
        return Pipeline(chunker=chunkers.Window(256, 0), retriever=retrievers.BM25())

    with pytest.raises(ConfigError, match=match):
        Tuner(pipeline, "python-docs", objectives=["cost_usd"], cache=False, **kwargs)  # type: ignore[arg-type]


def test_cli_refuses_a_negative_price(tmp_path: Path) -> None:
    pipeline_file = tmp_path / "p.py"
    pipeline_file.write_text(
        "import ragtune as rt\n"
        "from ragtune.pipelines import Pipeline, chunkers, retrievers\n"
        "dataset = rt.datasets.load('python-docs')\n"
        "objectives = ['ndcg@10', 'cost_usd']\n"
        "price_per_1k_output = -2\n"
        "def pipeline(trial):\n"
        "    return Pipeline(chunker=chunkers.Window(256, 0), retriever=retrievers.BM25())\n"
    )
    storage = f"duckdb:///{tmp_path / 'r.duckdb'}"
    base = [sys.executable, "-m", "ragtune", "optimize", str(pipeline_file), "--storage", storage, "-n", "1"]
    done = subprocess.run(base, capture_output=True, text=True, timeout=300, env=ENV, cwd=tmp_path)
    assert done.returncode == 1
    assert (
        "price_per_1k_output must be >= 0" in done.stderr and "but got price_per_1k_output=-2" in done.stderr
    )
    done = subprocess.run(
        [*base, "--price-per-1k-input", "-1"],
        capture_output=True,
        text=True,
        timeout=300,
        env=ENV,
        cwd=tmp_path,
    )
    assert done.returncode == 1 and "price_per_1k_input must be >= 0" in done.stderr

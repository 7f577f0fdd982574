"""Generators against a real local server (xllamacpp serving Gemma 3 270M) and the in-process engine.

Each generating call costs about a second on 2 cores, so the file makes a handful of short ones.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from ragtune.exceptions import GeneratorError
from ragtune.pipelines import readers
from ragtune.pipelines.model_server import ModelServer

pytestmark = pytest.mark.llm

QUESTION = "What is the capital of France?"
CONTEXT = ["Paris is the capital of France. Berlin is the capital of Germany."]


def _tokenize(server: ModelServer, text: str) -> list[int]:
    """The server's own tokenizer (llama.cpp's /tokenize, with the BOS token a prompt gets)."""
    root = server.base_url.removesuffix("/v1")
    body = json.dumps({"content": text, "add_special": True}).encode()
    request = urllib.request.Request(
        root + "/tokenize", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        tokens: list[int] = json.loads(response.read())["tokens"]
    return tokens


@pytest.fixture(scope="module")
def completion_answer(llm_server: ModelServer) -> tuple[readers.OpenAIGenerator, object]:
    generator = readers.OpenAIGenerator(llm_server.base_url, llm_server.model, few_shot=1, max_tokens=16)
    return generator, generator.read(QUESTION, CONTEXT)


def test_completion_endpoint_stops_at_newline_and_counts_tokens(
    llm_server: ModelServer, completion_answer: tuple[readers.OpenAIGenerator, object]
) -> None:
    generator, out = completion_answer
    assert isinstance(out, readers.base.ReaderOutput)
    assert "paris" in out.answer.lower() and "\n" not in out.answer
    prompt = generator.prompt(QUESTION, CONTEXT)
    assert prompt.text.endswith("Question: What is the capital of France?\nAnswer:")
    assert prompt.text.count("Passage:") == 2  # the worked example and the question
    # Prompt tokens equal the server tokenizer's count of the rendered prompt (an independent check).
    assert out.tokens["prompt"] == len(_tokenize(llm_server, prompt.text))
    assert 1 <= out.tokens["completion"] < 16  # the stop sequence ended it before max_tokens


def test_max_tokens_caps_the_answer_without_stop_sequences(llm_server: ModelServer) -> None:
    generator = readers.OpenAIGenerator(llm_server.base_url, llm_server.model, stop=[], max_tokens=3)
    out = generator.read("Write a long story about Paris.", CONTEXT)
    assert out.tokens["completion"] == 3


def test_chat_endpoint(llm_server: ModelServer) -> None:
    generator = readers.OpenAIGenerator(
        llm_server.base_url, llm_server.model, endpoint="chat", template="chat", max_tokens=6
    )
    assert generator.url.endswith("/v1/chat/completions")
    out = generator.read(QUESTION, CONTEXT)
    assert out.answer and 1 <= out.tokens["completion"] <= 6
    # The system message, then the user message with the laid-out context: more tokens than the text alone.
    assert out.tokens["prompt"] > len(_tokenize(llm_server, CONTEXT[0]))


def test_in_process_engine_matches_the_server(
    gguf_path: Path, completion_answer: tuple[readers.OpenAIGenerator, object]
) -> None:
    _, served = completion_answer
    local = readers.GGUFGenerator(gguf_path, few_shot=1, max_tokens=16, n_ctx=512, threads=2)
    out = local.read(QUESTION, CONTEXT)
    assert out == served.__class__(served.answer, served.tokens, None, out.seconds)  # type: ignore[attr-defined]


def test_a_prompt_longer_than_the_context_is_a_clear_error_and_the_budget_fixes_it(
    llm_server: ModelServer,
) -> None:
    long_context = ["word " * 3000]
    generator = readers.OpenAIGenerator(llm_server.base_url, llm_server.model, max_tokens=2)
    with pytest.raises(GeneratorError, match=r"longer than the model's context \(512 tokens\)"):
        generator.read(QUESTION, long_context)
    budgeted = readers.OpenAIGenerator(
        llm_server.base_url, llm_server.model, max_tokens=2, context_tokens=200
    )
    out = budgeted.read(QUESTION, long_context)
    assert out.tokens["prompt"] < 512


def test_timeout_is_reported_with_the_url(llm_server: ModelServer) -> None:
    generator = readers.OpenAIGenerator(
        llm_server.base_url, llm_server.model, stop=[], max_tokens=8, timeout=0.05, max_retries=0
    )
    with pytest.raises(
        GeneratorError, match=r"completions failed after 1 attempt\(s\): timed out after 0.05 s"
    ):
        generator.read("Tell a story.", CONTEXT)


class DroppingProxy:
    """A TCP proxy to the server that closes the first ``drop`` connections at once."""

    def __init__(self, upstream: tuple[str, int], drop: int) -> None:
        self.upstream, self.drop, self.accepted = upstream, drop, 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            if self.accepted <= self.drop:
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                client.close()  # RST: the client sees the connection dropped
                continue
            upstream = socket.create_connection(self.upstream)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(5)
        self.listener.close()


@pytest.fixture()
def dropping_proxy(llm_server: ModelServer) -> Iterator[DroppingProxy]:
    host_port = llm_server.base_url.removeprefix("http://").removesuffix("/v1")
    host, port = host_port.rsplit(":", 1)
    proxy = DroppingProxy((host, int(port)), drop=1)
    try:
        yield proxy
    finally:
        proxy.close()


def test_a_dropped_connection_is_retried(llm_server: ModelServer, dropping_proxy: DroppingProxy) -> None:
    url = f"http://127.0.0.1:{dropping_proxy.port}/v1"
    generator = readers.OpenAIGenerator(url, llm_server.model, max_tokens=2, max_retries=1, backoff=0.0)
    out = generator.read(QUESTION, CONTEXT)
    assert dropping_proxy.accepted == 2 and out.tokens["completion"] >= 1


def test_a_dropped_connection_without_retries_fails_naming_the_url(
    llm_server: ModelServer, dropping_proxy: DroppingProxy
) -> None:
    url = f"http://127.0.0.1:{dropping_proxy.port}/v1"
    generator = readers.OpenAIGenerator(url, llm_server.model, max_tokens=2, max_retries=0)
    with pytest.raises(GeneratorError, match=rf"POST {url}/completions failed after 1 attempt"):
        generator.read(QUESTION, CONTEXT)
    assert dropping_proxy.accepted == 1

"""The OpenAI-compatible generator against a local HTTP server: success, retries, timeouts, errors."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from ragtune.exceptions import GeneratorError
from ragtune.pipelines.readers import OpenAIChatGenerator, Reader
from ragtune.pipelines.readers.openai_chat import mask_url


@dataclass
class Script:
    """Responses the server gives, in order (the last one repeats), and the requests it saw."""

    replies: list[tuple[int, Any, float]] = field(default_factory=list)
    seen: list[dict[str, Any]] = field(default_factory=list)


def completion(content: str, usage: dict[str, int] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}
    if usage is not None:
        body["usage"] = usage
    return body


@pytest.fixture()
def server() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            script.seen.append({"path": self.path, "headers": dict(self.headers), "body": body})
            status, reply, delay = script.replies[min(len(script.seen), len(script.replies)) - 1]
            time.sleep(delay)
            data = json.dumps(reply).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client timed out and left

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1", script
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_success_sends_a_chat_request_and_reads_usage(server: tuple[str, Script]) -> None:
    url, script = server
    script.replies = [(200, completion(" Paris ", {"prompt_tokens": 42, "completion_tokens": 1}), 0.0)]
    generator = OpenAIChatGenerator(url, "tiny", api_key="sk-test", max_tokens=8)
    out = generator.read("Capital of France?", ["Paris is the capital of France.", "Berlin is in Germany."])
    assert out.answer == "Paris" and out.tokens == {"prompt": 42, "completion": 1}
    (request,) = script.seen
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == "Bearer sk-test"
    body = request["body"]
    assert body["model"] == "tiny" and body["max_tokens"] == 8 and body["temperature"] == 0.0
    assert body["messages"][0]["role"] == "system"
    assert (
        "[1] Paris is the capital of France.\n\n[2] Berlin is in Germany." in body["messages"][1]["content"]
    )
    assert body["messages"][1]["content"].endswith("Question: Capital of France?")
    assert isinstance(generator, Reader) and "sk-test" not in json.dumps(generator.params.model_dump())


def test_a_500_is_retried_then_succeeds(server: tuple[str, Script]) -> None:
    url, script = server
    script.replies = [(500, {"error": "overloaded"}, 0.0), (200, completion("ok"), 0.0)]
    out = OpenAIChatGenerator(url, "m", max_retries=2, backoff=0.0).read("q", ["c"])
    assert out.answer == "ok" and len(script.seen) == 2
    # No usage in the reply: whitespace-token estimates.
    assert out.tokens["completion"] == 1 and out.tokens["prompt"] > 5


def test_429_is_retried_and_400_is_not(server: tuple[str, Script]) -> None:
    url, script = server
    script.replies = [(429, {"error": "slow down"}, 0.0), (200, completion("fine"), 0.0)]
    assert OpenAIChatGenerator(url, "m", backoff=0.0).read("q", []).answer == "fine"
    script.seen.clear()
    script.replies = [(400, {"error": "bad model"}, 0.0)]
    with pytest.raises(GeneratorError, match=r"HTTP 400") as info:
        OpenAIChatGenerator(url, "m", max_retries=3, backoff=0.0).read("q", [])
    assert len(script.seen) == 1 and "/v1/chat/completions" in str(info.value)


def test_persistent_5xx_fails_after_all_attempts(server: tuple[str, Script]) -> None:
    url, script = server
    script.replies = [(503, {"error": "down"}, 0.0)]
    with pytest.raises(GeneratorError, match=r"failed after 3 attempt\(s\): HTTP 503"):
        OpenAIChatGenerator(url, "m", max_retries=2, backoff=0.0).read("q", [])
    assert len(script.seen) == 3


def test_timeout_raises_naming_the_masked_url(server: tuple[str, Script]) -> None:
    url, script = server
    script.replies = [(200, completion("late"), 1.5)]
    secret_url = url.replace("http://", "http://alice:hunter2@")
    start = time.perf_counter()
    with pytest.raises(GeneratorError) as info:
        OpenAIChatGenerator(secret_url, "m", timeout=0.2, max_retries=1, backoff=0.0).read("q", [])
    message = str(info.value)
    assert "timed out after 0.2 s" in message and "after 2 attempt(s)" in message
    assert "hunter2" not in message and "alice" not in message and "***@127.0.0.1" in message
    assert time.perf_counter() - start < 1.4
    assert script.seen[0]["headers"]["Authorization"].startswith("Basic ")


def test_connection_refused_is_retried_then_reported() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(
        GeneratorError, match=rf"POST http://127.0.0.1:{port}/v1/chat/completions failed after 2"
    ):
        OpenAIChatGenerator(f"http://127.0.0.1:{port}/v1", "m", max_retries=1, backoff=0.0).read("q", [])


def test_mask_url_hides_credentials_and_secret_query_values() -> None:
    assert mask_url("https://u:p@host:8000/v1?api_key=abc&x=1") == "https://***@host:8000/v1?api_key=***&x=1"
    assert mask_url("http://host/v1") == "http://host/v1"

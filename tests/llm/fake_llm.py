"""A generator whose "model" is a deterministic function, with every real call logged to a file.

It keeps everything of OpenAIGenerator (prompt rendering, cache keys, token accounting) except the
HTTP request, so cache behaviour is tested without a model; the real server has its own tests.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ragtune.pipelines.readers import GGUFGenerator, OpenAIGenerator
from ragtune.pipelines.readers.prompting import Prompt


def fake_response(prompt: Prompt, request: dict[str, Any]) -> dict[str, Any]:
    digest = hashlib.sha256(repr((prompt.payload(), sorted(request.items()))).encode()).hexdigest()
    answer = f" answer-{digest[:8]}"
    choice = {"message": {"content": answer}} if prompt.endpoint == "chat" else {"text": answer}
    return {
        "choices": [{**choice, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 10},
    }


class LoggedGenerator(OpenAIGenerator):
    """``calls_log``: a file that gets one line per real call; ``delay``: seconds each call takes."""

    calls_log: Path | None = None
    delay: float = 0.0

    def _generate(self, prompt: Prompt, request: dict[str, Any]) -> Mapping[str, Any]:
        if self.calls_log is not None:
            with open(self.calls_log, "a") as handle:
                handle.write("call\n")
        time.sleep(self.delay)
        return fake_response(prompt, request)


class LoggedGGUF(GGUFGenerator):
    calls: int = 0

    def _generate(self, prompt: Prompt, request: dict[str, Any]) -> Mapping[str, Any]:
        type(self).calls += 1
        return fake_response(prompt, request)


def logged(log: Path, delay: float = 0.0, **kwargs: Any) -> LoggedGenerator:
    generator = LoggedGenerator("http://127.0.0.1:9/v1", kwargs.pop("model", "fake-model"), **kwargs)
    generator.calls_log, generator.delay = log, delay
    return generator


def n_calls(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0

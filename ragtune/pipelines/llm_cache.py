"""The LLM-call cache: one generation stored under sha256(model identity, rendered prompt, generation params).

Entries live in the same on-disk cache as chunks, embeddings and indexes (label ``llm/calls``,
``<cache root>/llm/calls/<key[:2]>/<key>.rtc``), with the same checksums, atomic writes, LRU size limit
and cross-process build lock: two processes making the same call at once make it once and end with one
entry. So a call any earlier trial, worker process or run made is answered from disk, and its measured
generation time is replayed (latency objectives stay honest, as with cached retrievals).

What the key holds, and so what makes a miss: the model identity (a generator's ``model_id``: the
GGUF file's sha256 for local models, the served model name for HTTP servers), the endpoint
(``completions`` / ``chat``), the exact prompt text or chat messages, and the generation parameters
(temperature, max_tokens, stop sequences, seed). Timeouts, retries and URLs are not in it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragtune.pipelines.cache import Cache
from ragtune.pipelines.keys import canonical_json, content_key

__all__ = ["LABEL", "CallRecord", "LLMCache", "call_key"]

LABEL = "llm/calls"
"""The cache label (and folder) of LLM-call entries."""


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One generation: the answer text, its token counts, its measured seconds and finish reason."""

    answer: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    finish_reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "seconds": self.seconds,
            "finish_reason": self.finish_reason,
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> CallRecord:
        return cls(
            str(value["answer"]),
            int(value["prompt_tokens"]),
            int(value["completion_tokens"]),
            float(value["seconds"]),
            str(value.get("finish_reason", "")),
        )


def call_key(model_id: str, endpoint: str, prompt: Mapping[str, Any], params: Mapping[str, Any]) -> str:
    """The content key of one call (see the module docstring for what goes in)."""
    return content_key(
        "llm-call-v1", model_id, endpoint, canonical_json(dict(prompt)), canonical_json(dict(params))
    )


class LLMCache:
    """LLM calls on disk, in a :class:`~ragtune.pipelines.Cache` (or a folder, which opens one)."""

    def __init__(self, cache: Cache | str | os.PathLike[str]) -> None:
        self.cache = cache if isinstance(cache, Cache) else Cache(root=Path(cache))

    def __repr__(self) -> str:
        return f"LLMCache(root={str(self.cache.root)!r})"

    def get(self, key: str) -> CallRecord | None:
        """The stored call, or None (counted as a hit or a miss under ``llm/calls``)."""
        found = self.cache.get(LABEL, key)
        return None if found is None else CallRecord.from_json(found.artifacts["call"])

    def get_or_call(self, key: str, call: Callable[[], CallRecord]) -> tuple[CallRecord, bool]:
        """``(record, hit)``: the stored call, or ``call()`` run once under the key's lock and stored."""
        found = self.get(key)
        if found is not None:
            return found, True
        made: list[CallRecord] = []

        def build() -> dict[str, Any]:
            made.append(call())
            return {"call": made[0].to_json()}

        result = self.cache.build(LABEL, key, build)
        return CallRecord.from_json(result.artifacts["call"]), result.hit

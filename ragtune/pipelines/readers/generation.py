"""What LLM generators share: render the prompt, consult the LLM-call cache, call, read the response.

A subclass says which ``endpoint`` it speaks (``completions`` or ``chat``), what identifies its model
(``model_id``, part of every cache key) and how one OpenAI-shaped request is answered (``_generate``).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from ragtune.exceptions import GeneratorError
from ragtune.pipelines.cache import Cache
from ragtune.pipelines.llm_cache import CallRecord, LLMCache, call_key
from ragtune.pipelines.readers.prompting import (
    Endpoint,
    GenerationParams,
    Prompt,
    approx_tokens,
    build_prompt,
    stops_for,
)
from ragtune.pipelines.records import ReaderOutput
from ragtune.pipelines.stage import ParamStage

__all__ = ["CacheArg", "LLMGenerator", "parse_response"]

G = TypeVar("G", bound=GenerationParams)
CacheArg = Cache | LLMCache | str | os.PathLike[str] | None


def _as_llm_cache(cache: CacheArg) -> LLMCache | None:
    if cache is None or isinstance(cache, LLMCache):
        return cache
    return LLMCache(cache)


def parse_response(payload: Mapping[str, Any], endpoint: Endpoint, who: str) -> tuple[str, dict[str, Any]]:
    """``(answer text, {"prompt", "completion", "finish_reason"})`` from an OpenAI-shaped response."""
    error = payload.get("error")
    if error is not None:
        if isinstance(error, Mapping) and "n_prompt_tokens" in error and "n_ctx" in error:
            raise GeneratorError(
                f"{who}: the prompt ({error['n_prompt_tokens']} tokens) is longer than the model's context "
                f"({error['n_ctx']} tokens); lower context_tokens or few_shot, or load the model with a "
                "larger n_ctx"
            )
        message = error.get("message") if isinstance(error, Mapping) else error
        raise GeneratorError(f"{who}: the model returned an error: {message}")
    try:
        choice = payload["choices"][0]
        text = choice["message"]["content"] if endpoint == "chat" else choice["text"]
    except (KeyError, IndexError, TypeError) as e:
        field = "choices[0].message.content" if endpoint == "chat" else "choices[0].text"
        raise GeneratorError(f"{who}: the response has no {field}") from e
    usage = payload.get("usage") or {}
    out: dict[str, Any] = {"finish_reason": str(choice.get("finish_reason") or "")}
    for name, field in (("prompt", "prompt_tokens"), ("completion", "completion_tokens")):
        value = usage.get(field)
        out[name] = int(value) if isinstance(value, int) else None
    return str(text or ""), out


class LLMGenerator(ParamStage[G]):
    """Base of the LLM readers: ``read()`` renders the template, uses the cache, calls ``_generate``.

    The cache is given with ``cache=`` (a :class:`~ragtune.pipelines.Cache`, an ``LLMCache`` or a
    folder) or attached later by the evaluator through :meth:`use_cache` (the Tuner's cache folder).
    """

    who: str = "generator"

    def __init__(self, *, cache: CacheArg = None, **values: Any) -> None:
        super().__init__(**values)
        self._llm_cache = _as_llm_cache(cache)
        self._explicit_cache = cache is not None
        self._cache_lock = threading.Lock()

    @property
    def endpoint(self) -> Endpoint:
        raise NotImplementedError

    @property
    def model_id(self) -> str:
        """What identifies the model's weights in cache keys."""
        raise NotImplementedError

    @property
    def llm_cache(self) -> LLMCache | None:
        return self._llm_cache

    def use_cache(self, cache: CacheArg) -> None:
        """Attach a call cache unless one was given to the constructor (that one is kept)."""
        with self._cache_lock:
            if not self._explicit_cache:
                self._llm_cache = _as_llm_cache(cache)

    def _generate(self, prompt: Prompt, request: dict[str, Any]) -> Mapping[str, Any]:
        """Answer one request: ``prompt.payload()`` merged with ``request``; an OpenAI-shaped response."""
        raise NotImplementedError

    def request(self) -> dict[str, Any]:
        """The generation parameters every request sends (and every cache key holds)."""
        p = self.params
        return {
            "temperature": p.temperature,
            "max_tokens": p.max_tokens,
            "stop": stops_for(p),
            "seed": p.seed,
        }

    def prompt(self, question: str, context: Sequence[str]) -> Prompt:
        """The prompt ``read`` would send for ``question`` and ``context``."""
        return build_prompt(self.params, question, context, self.endpoint)

    def _call(self, prompt: Prompt, request: dict[str, Any]) -> CallRecord:
        start = time.perf_counter()
        payload = self._generate(prompt, request)
        seconds = time.perf_counter() - start
        text, usage = parse_response(payload, self.endpoint, self.who)
        return CallRecord(
            answer=text,
            prompt_tokens=usage["prompt"] if usage["prompt"] is not None else prompt.approx_tokens(),
            completion_tokens=usage["completion"] if usage["completion"] is not None else approx_tokens(text),
            seconds=seconds,
            finish_reason=usage["finish_reason"],
        )

    def read(self, question: str, context: Sequence[str]) -> ReaderOutput:
        prompt = self.prompt(question, context)
        request = self.request()
        cache = self._llm_cache
        hit: bool | None = None
        if cache is None:
            record = self._call(prompt, request)
        else:
            key = call_key(self.model_id, self.endpoint, prompt.payload(), request)
            record, hit = cache.get_or_call(key, lambda: self._call(prompt, request))
        tokens = {"prompt": record.prompt_tokens, "completion": record.completion_tokens}
        return ReaderOutput(record.answer.strip(), tokens, cached=hit, seconds=record.seconds)

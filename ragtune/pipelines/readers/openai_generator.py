"""A generator for any OpenAI-compatible server (llama.cpp, vLLM, Ollama, hosted APIs).

It speaks the completions endpoint (``POST {base_url}/completions``, a plain prompt: what base models
need) or the chat endpoint (``POST {base_url}/chat/completions``), with the prompt knobs of
:class:`~ragtune.pipelines.readers.prompting.GenerationParams` and the LLM-call cache.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import Field

from ragtune.pipelines.readers.generation import CacheArg, LLMGenerator
from ragtune.pipelines.readers.http_client import mask_url, post_json, target
from ragtune.pipelines.readers.prompting import (
    ContextOrder,
    Endpoint,
    ExampleChoice,
    GenerationParams,
    Prompt,
)
from ragtune.pipelines.stage import StageParams

__all__ = ["OpenAIGenerator", "OpenAIGeneratorParams"]


class OpenAIGeneratorParams(GenerationParams):
    base_url: str
    """Server root including the API prefix, e.g. ``http://127.0.0.1:8080/v1`` (credentials masked here)."""
    model: str
    """Model name the server knows."""
    endpoint: Endpoint = "completions"
    model_id: str | None = None
    """What identifies the weights in the LLM-call cache; default ``model``. Set it (for example to
    the model file's sha256) when the model name does not pin the weights."""
    timeout: float = Field(default=60.0, gt=0.0)
    """Seconds for connecting and for each read."""
    max_retries: int = Field(default=2, ge=0)
    """Extra attempts after a connection error, timeout, HTTP 5xx or 429."""
    backoff: float = Field(default=0.5, ge=0.0)
    """First retry delay in seconds; doubles per attempt."""


class OpenAIGenerator(LLMGenerator[OpenAIGeneratorParams]):
    """Answers with an OpenAI-compatible server; every knob is a constructor argument.

    Example (a local server from ``ragtune serve-model model.gguf`` or :func:`~ragtune.pipelines.serve_model`)::

        reader = readers.OpenAIGenerator("http://127.0.0.1:8080/v1", server.model,
                                          template="completion", few_shot=1, max_tokens=32)

    ``api_key`` is sent as a bearer token and is not part of ``params``, so it never reaches stored
    configs, cache keys or logs.
    """

    kind: ClassVar[str] = "openai"
    version: ClassVar[str] = "1"
    Params: ClassVar[type[StageParams]] = OpenAIGeneratorParams
    who = "OpenAIGenerator"

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        endpoint: Endpoint = "completions",
        template: str = "completion",
        few_shot: int = 0,
        example_choice: ExampleChoice = "first",
        temperature: float = 0.0,
        max_tokens: int = 64,
        stop: list[str] | tuple[str, ...] | None = None,
        context_order: ContextOrder = "best-first",
        numbered: bool = False,
        context_tokens: int | None = None,
        context_sentences: int | None = None,
        seed: int = 0,
        model_id: str | None = None,
        api_key: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 2,
        backoff: float = 0.5,
        cache: CacheArg = None,
    ) -> None:
        super().__init__(
            cache=cache,
            base_url=mask_url(base_url),
            model=model,
            endpoint=endpoint,
            template=template,
            few_shot=few_shot,
            example_choice=example_choice,
            temperature=temperature,
            max_tokens=max_tokens,
            stop=tuple(stop) if stop is not None else None,
            context_order=context_order,
            numbered=numbered,
            context_tokens=context_tokens,
            context_sentences=context_sentences,
            seed=seed,
            model_id=model_id,
            timeout=timeout,
            max_retries=max_retries,
            backoff=backoff,
        )
        path = "chat/completions" if endpoint == "chat" else "completions"
        self._target = target(base_url, path, api_key)
        self.url = self._target.shown
        """The endpoint URL as errors show it (credentials masked)."""

    @property
    def endpoint(self) -> Endpoint:
        return self.params.endpoint

    @property
    def model_id(self) -> str:
        return self.params.model_id or self.params.model

    def _generate(self, prompt: Prompt, request: dict[str, Any]) -> Mapping[str, Any]:
        p = self.params
        body = {"model": p.model, **prompt.payload(), **request}
        return post_json(
            self._target.url,
            json.dumps(body).encode("utf-8"),
            headers=self._target.headers,
            shown_url=self._target.shown,
            who=self.who,
            timeout=p.timeout,
            max_retries=p.max_retries,
            backoff=p.backoff,
        )

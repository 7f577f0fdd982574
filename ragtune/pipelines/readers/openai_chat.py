"""A reader that asks an OpenAI-compatible chat-completions server (vLLM, llama.cpp server, Ollama).

Requests, retries and errors: :mod:`ragtune.pipelines.readers.http_client`. For the completions
endpoint, prompt templates, few-shot examples, stop sequences and the LLM-call cache, use
:class:`~ragtune.pipelines.readers.OpenAIGenerator`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import Field

from ragtune.exceptions import GeneratorError
from ragtune.pipelines.readers.http_client import mask_url, post_json, target
from ragtune.pipelines.records import ReaderOutput
from ragtune.pipelines.stage import ParamStage, StageParams

__all__ = ["DEFAULT_SYSTEM_PROMPT", "OpenAIChatGenerator", "OpenAIChatParams", "build_prompt", "mask_url"]

DEFAULT_SYSTEM_PROMPT = (
    "Answer the question using only the numbered context passages. "
    "Answer briefly. If the context does not contain the answer, say that you do not know."
)


def build_prompt(question: str, context: Sequence[str]) -> str:
    """The user message: numbered context passages, then the question."""
    passages = "\n\n".join(f"[{i}] {text}" for i, text in enumerate(context, start=1))
    return f"Context:\n{passages}\n\nQuestion: {question}"


class OpenAIChatParams(StageParams):
    base_url: str
    """Server root including the API prefix, e.g. ``http://127.0.0.1:8000/v1`` (credentials masked here)."""
    model: str
    """Model name the server knows."""
    timeout: float = Field(default=30.0, gt=0.0)
    """Seconds for connecting and for each read."""
    max_retries: int = Field(default=2, ge=0)
    """Extra attempts after a connection error, timeout, HTTP 5xx or 429."""
    temperature: float = Field(default=0.0, ge=0.0)
    max_tokens: int = Field(default=256, gt=0)
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    backoff: float = Field(default=0.5, ge=0.0)
    """First retry delay in seconds; doubles per attempt."""


class OpenAIChatGenerator(ParamStage[OpenAIChatParams]):
    """Generates answers with ``POST {base_url}/chat/completions``.

    Token counts come from the response's ``usage`` (``prompt_tokens``, ``completion_tokens``); servers
    that omit it get a whitespace-token estimate. ``api_key`` is sent as a bearer token and is not part of
    ``params``, so it never reaches stored configs or logs.
    """

    kind: ClassVar[str] = "openai-chat"
    version: ClassVar[str] = "1"
    Params: ClassVar[type[StageParams]] = OpenAIChatParams

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 2,
        temperature: float = 0.0,
        max_tokens: int = 256,
        system_prompt: str = DEFAULT_SYSTEM_PROMPT,
        backoff: float = 0.5,
    ) -> None:
        super().__init__(
            base_url=mask_url(base_url),
            model=model,
            timeout=timeout,
            max_retries=max_retries,
            temperature=temperature,
            max_tokens=max_tokens,
            system_prompt=system_prompt,
            backoff=backoff,
        )
        endpoint = target(base_url, "chat/completions", api_key)
        self._url, self._headers = endpoint.url, endpoint.headers
        # What errors name: the URL as given (credentials masked), with the endpoint path.
        self.url = endpoint.shown

    def read(self, question: str, context: Sequence[str]) -> ReaderOutput:
        p = self.params
        prompt = build_prompt(question, context)
        messages = [{"role": "system", "content": p.system_prompt}, {"role": "user", "content": prompt}]
        body = {
            "model": p.model,
            "messages": messages,
            "temperature": p.temperature,
            "max_tokens": p.max_tokens,
        }
        payload = self._post(json.dumps(body).encode("utf-8"))
        try:
            answer = str(payload["choices"][0]["message"]["content"] or "")
        except (KeyError, IndexError, TypeError) as e:
            raise GeneratorError(
                f"OpenAIChatGenerator: POST {self.url} returned no choices[0].message.content"
            ) from e
        usage = payload.get("usage") or {}
        prompt_tokens = usage.get("prompt_tokens")
        completion_tokens = usage.get("completion_tokens")
        tokens = {
            "prompt": int(prompt_tokens)
            if isinstance(prompt_tokens, int)
            else sum(len(m["content"].split()) for m in messages),
            "completion": int(completion_tokens)
            if isinstance(completion_tokens, int)
            else len(answer.split()),
        }
        return ReaderOutput(answer.strip(), tokens)

    def _post(self, body: bytes) -> dict[str, Any]:
        p = self.params
        return post_json(
            self._url,
            body,
            headers=self._headers,
            shown_url=self.url,
            who="OpenAIChatGenerator",
            timeout=p.timeout,
            max_retries=p.max_retries,
            backoff=p.backoff,
        )

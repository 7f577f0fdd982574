"""A reader that asks an OpenAI-compatible chat-completions server (vLLM, llama.cpp server, Ollama).

Standard library only (``urllib.request`` + ``json``). Connection errors, timeouts, HTTP 5xx and 429 are
retried ``max_retries`` times with exponential backoff (``backoff * 2**attempt`` seconds, or the
server's numeric ``Retry-After`` up to 30 s); other HTTP errors fail at once. Failures raise
:class:`~ragtune.exceptions.GeneratorError` naming the URL with credentials masked and the last status.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import Field

from ragtune.exceptions import GeneratorError
from ragtune.pipelines.records import ReaderOutput
from ragtune.pipelines.stage import ParamStage, StageParams

__all__ = ["DEFAULT_SYSTEM_PROMPT", "OpenAIChatGenerator", "OpenAIChatParams", "build_prompt", "mask_url"]

DEFAULT_SYSTEM_PROMPT = (
    "Answer the question using only the numbered context passages. "
    "Answer briefly. If the context does not contain the answer, say that you do not know."
)
_SECRET_QUERY_NAMES = ("key", "token", "secret", "password", "auth", "sig")
_MAX_RETRY_AFTER = 30.0


def mask_url(url: str) -> str:
    """``url`` with user info and secret-looking query values replaced by ``***``."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    query = urllib.parse.urlencode(
        [
            (name, "***" if any(s in name.lower() for s in _SECRET_QUERY_NAMES) else value)
            for name, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="*",
    )
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


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
        parts = urllib.parse.urlsplit(base_url)
        self._headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if parts.username is not None:
            user = urllib.parse.unquote(parts.username)
            password = urllib.parse.unquote(parts.password or "")
            token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
            self._headers["Authorization"] = f"Basic {token}"
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        path = parts.path.rstrip("/") + "/chat/completions"
        self._url = urllib.parse.urlunsplit((parts.scheme, netloc, path, parts.query, ""))
        # What errors name: the URL as given (credentials masked), with the endpoint path.
        self.url = mask_url(urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, parts.query, "")))

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
        attempts = 1 + p.max_retries
        last = "no attempt made"
        for attempt in range(attempts):
            delay = p.backoff * 2**attempt
            request = urllib.request.Request(self._url, data=body, headers=self._headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=p.timeout) as response:
                    raw = response.read()
            except urllib.error.HTTPError as e:
                detail = e.read(300).decode("utf-8", "replace").strip()
                last = f"HTTP {e.code}" + (f": {detail}" if detail else "")
                if e.code != 429 and e.code < 500:
                    raise GeneratorError(f"OpenAIChatGenerator: POST {self.url} failed with {last}") from e
                retry_after = e.headers.get("Retry-After") if e.headers else None
                if retry_after and retry_after.strip().replace(".", "", 1).isdigit():
                    delay = min(float(retry_after), _MAX_RETRY_AFTER)
            except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
                reason = getattr(e, "reason", e)
                last = (
                    f"{type(reason).__name__}: {reason}" if isinstance(reason, BaseException) else str(reason)
                )
                if isinstance(reason, TimeoutError) or isinstance(e, TimeoutError):
                    last = f"timed out after {p.timeout:g} s"
            else:
                try:
                    parsed = json.loads(raw.decode("utf-8"))
                except (UnicodeDecodeError, ValueError) as e:
                    raise GeneratorError(f"OpenAIChatGenerator: POST {self.url} returned invalid JSON") from e
                if not isinstance(parsed, dict):
                    raise GeneratorError(
                        f"OpenAIChatGenerator: POST {self.url} returned JSON that is not an object"
                    )
                return parsed
            if attempt + 1 < attempts:
                time.sleep(delay)
        raise GeneratorError(
            f"OpenAIChatGenerator: POST {self.url} failed after {attempts} attempt(s): {last}"
        )

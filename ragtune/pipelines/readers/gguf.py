"""An in-process generator for GGUF models, through xllamacpp (the ``llm`` extra).

Why xllamacpp: it ships prebuilt wheels (about 34 MB, installs in a second, no compiler), while
llama-cpp-python is source-only and compiles for 4-5 minutes; both wrap the same llama.cpp. The model
loads on the first question and stays loaded for the process (shared by every generator with the same
file, context size and threads), so trials that only change prompt knobs pay the load once. xllamacpp's
engine also opens an HTTP listener on 127.0.0.1 at a free port; nothing else is exposed.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from ragtune.exceptions import GeneratorError
from ragtune.pipelines.gguf_file import check_gguf, gguf_fingerprint, server_params
from ragtune.pipelines.readers.generation import CacheArg, LLMGenerator
from ragtune.pipelines.readers.prompting import (
    ContextOrder,
    Endpoint,
    ExampleChoice,
    GenerationParams,
    Prompt,
)
from ragtune.pipelines.stage import StageParams

__all__ = ["GGUFGenerator", "GGUFGeneratorParams", "default_threads"]

_LOADED_MAX = 2
_LOCK = threading.Lock()
_LOADED: dict[tuple[str, int, int], Any] = {}


def default_threads() -> int:
    """Generation threads when not given: the CPU count, at most 4."""
    return max(1, min(4, os.cpu_count() or 1))


class GGUFGeneratorParams(GenerationParams):
    model_path: str
    """Absolute path of the ``.gguf`` file."""
    endpoint: Endpoint = "completions"
    n_ctx: int = Field(default=2048, ge=64)
    """Context window in tokens (prompt + answer)."""
    threads: int = Field(default_factory=default_threads, ge=1)


def _engine(path: Path, n_ctx: int, threads: int) -> Any:
    key = (str(path), n_ctx, threads)
    with _LOCK:
        found = _LOADED.get(key)
        if found is not None:
            return found
        from ragtune.pipelines.gguf_file import import_xllamacpp

        xllamacpp = import_xllamacpp()
        try:
            engine = xllamacpp.Server(server_params(path, n_ctx=n_ctx, threads=threads))
        except Exception as e:
            raise GeneratorError(f"GGUFGenerator: cannot load {str(path)!r}: {e}") from e
        while len(_LOADED) >= _LOADED_MAX:
            _LOADED.pop(next(iter(_LOADED)))
        _LOADED[key] = engine
        return engine


class GGUFGenerator(LLMGenerator[GGUFGeneratorParams]):
    """Answers with a local GGUF model in this process; the prompt knobs are those of OpenAIGenerator.

    Example::

        reader = readers.GGUFGenerator("models/gemma-3-270m-q4_k_m.gguf", template="completion",
                                       few_shot=1, max_tokens=32)

    A file that is not GGUF is a ConfigError at construction; a missing ``xllamacpp`` is a
    MissingDependencyError on the first question, naming ``pip install 'ragtune[llm]'``.
    """

    kind: ClassVar[str] = "gguf"
    version: ClassVar[str] = "1"
    Params: ClassVar[type[StageParams]] = GGUFGeneratorParams
    who = "GGUFGenerator"

    def __init__(
        self,
        model_path: str | os.PathLike[str],
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
        n_ctx: int = 2048,
        threads: int | None = None,
        cache: CacheArg = None,
    ) -> None:
        path = check_gguf(model_path)
        super().__init__(
            cache=cache,
            model_path=str(path),
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
            n_ctx=n_ctx,
            threads=threads if threads is not None else default_threads(),
        )

    @property
    def endpoint(self) -> Endpoint:
        return self.params.endpoint

    @property
    def model_id(self) -> str:
        return "gguf-sha256:" + gguf_fingerprint(self.params.model_path)

    def _generate(self, prompt: Prompt, request: dict[str, Any]) -> Mapping[str, Any]:
        p = self.params
        engine = _engine(Path(p.model_path), p.n_ctx, p.threads)
        body = {**prompt.payload(), **request}
        handle = engine.handle_chat_completions if p.endpoint == "chat" else engine.handle_completions
        try:
            result = handle(body)
        except Exception as e:
            raise GeneratorError(f"{self.who}: generation failed: {type(e).__name__}: {e}") from e
        if not isinstance(result, Mapping):
            raise GeneratorError(
                f"{self.who}: the engine returned {type(result).__name__}, not a JSON object"
            )
        return result

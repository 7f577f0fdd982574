"""The knobs every LLM generator shares, context layout, and rendering a prompt for either endpoint.

Context layout: ``context_sentences`` first narrows the passages to the sentences that share the most
terms with the question (:mod:`~ragtune.pipelines.readers.focus`); then passages keep the retriever's
order (``best-first``) or put the best passage next to the question (``best-last``); they are
numbered ``[1] ...`` or not; and ``context_tokens`` caps their size with an approximate count of 4
characters per token (passages are taken in rank order, the one that crosses the budget is cut at a
word boundary, or dropped if no whole word fits; the rest are dropped). The cap is the documented
way to keep prompts inside a model's context window; a prompt that still does not fit is a
:class:`~ragtune.exceptions.GeneratorError` that says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, field_validator

from ragtune.exceptions import ConfigError
from ragtune.pipelines import templates
from ragtune.pipelines.readers.focus import focus_passages, similar_examples
from ragtune.pipelines.stage import StageParams

__all__ = [
    "CHARS_PER_TOKEN",
    "ContextOrder",
    "Endpoint",
    "ExampleChoice",
    "GenerationParams",
    "Prompt",
    "approx_tokens",
    "build_prompt",
    "layout_context",
]

CHARS_PER_TOKEN = 4
"""The approximation behind ``context_tokens``: about 4 characters of English per token."""

ContextOrder = Literal["best-first", "best-last"]
ExampleChoice = Literal["first", "similar"]
Endpoint = Literal["completions", "chat"]


def approx_tokens(text: str) -> int:
    """Approximate token count of ``text``: ``ceil(len / 4)``."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


class GenerationParams(StageParams):
    """Prompt and sampling knobs shared by the OpenAI-compatible and in-process generators."""

    template: str = "completion"
    """Name of a prompt template (``templates.names()``)."""
    few_shot: int = Field(default=0, ge=0)
    """How many worked examples from the template go before the question."""
    example_choice: ExampleChoice = "first"
    """Which worked examples: the template's ``first`` ``few_shot`` ones, or the ``similar`` ones, whose
    questions share the most terms with the question (:func:`~ragtune.pipelines.readers.focus.
    similar_examples`; most similar nearest the question). ``similar`` needs a pool of examples larger
    than ``few_shot`` to make a difference."""
    temperature: float = Field(default=0.0, ge=0.0)
    max_tokens: int = Field(default=64, gt=0)
    """Most tokens generated per answer."""
    stop: tuple[str, ...] | None = None
    """Stop sequences; None takes the template's (``("\\n",)`` for the completion templates)."""
    context_order: ContextOrder = "best-first"
    numbered: bool = False
    """Number passages ``[1]``, ``[2]``, ... in the prompt."""
    context_tokens: int | None = Field(default=None, gt=0)
    """Budget for the passages in approximate tokens (4 characters each); None keeps them whole."""
    context_sentences: int | None = Field(default=None, gt=0)
    """Keep only this many sentences of the passages, those sharing the most terms with the question
    (:func:`~ragtune.pipelines.readers.focus.focus_passages`); None keeps the passages whole. Applied
    before ``context_tokens``, and to the worked examples' passages as well."""
    seed: int = 0
    """Sampling seed sent to the server, so temperature > 0 is repeatable and cacheable."""

    @field_validator("template")
    @classmethod
    def _known_template(cls, value: str) -> str:
        templates.get(value)  # raises a ConfigError naming the known templates
        return value

    @field_validator("stop")
    @classmethod
    def _stops(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None and any(not s for s in value):
            raise ValueError(f"stop sequences must be non-empty strings, but got stop={list(value)!r}")
        return value


def layout_context(
    passages: Sequence[str],
    *,
    order: ContextOrder = "best-first",
    numbered: bool = False,
    budget: int | None = None,
) -> str:
    """The passages as one block of text; see the module docstring for the rules."""
    kept: list[str] = []
    left = None if budget is None else budget * CHARS_PER_TOKEN
    for text in passages:
        text = text.strip()
        if left is not None:
            if left <= 0:
                break
            if len(text) > left:
                cut = text[:left]
                space = cut.rfind(" ")
                text = cut[:space] if space > 0 else ""  # no whole word fits: drop the passage
                left = 0
            else:
                left -= len(text)
        if text:
            kept.append(text)
    labelled = [f"[{i}] {t}" if numbered else t for i, t in enumerate(kept, start=1)]
    if order == "best-last":
        labelled.reverse()
    return "\n\n".join(labelled)


@dataclass(frozen=True, slots=True)
class Prompt:
    """A rendered prompt: ``text`` for the completions endpoint, ``messages`` for the chat endpoint."""

    endpoint: Endpoint
    text: str = ""
    messages: tuple[dict[str, str], ...] = ()

    def payload(self) -> dict[str, Any]:
        """The prompt part of a request body (``prompt`` or ``messages``)."""
        if self.endpoint == "chat":
            return {"messages": [dict(m) for m in self.messages]}
        return {"prompt": self.text}

    def approx_tokens(self) -> int:
        if self.endpoint == "chat":
            return sum(approx_tokens(m["content"]) for m in self.messages)
        return approx_tokens(self.text)


def build_prompt(
    params: GenerationParams, question: str, context: Sequence[str], endpoint: Endpoint
) -> Prompt:
    """Render the template with the laid-out context, after ``few_shot`` worked examples."""
    template = templates.get(params.template)
    if params.few_shot > len(template.examples):
        raise ConfigError(
            f"few_shot={params.few_shot} but template {template.name!r} has {len(template.examples)} "
            "example(s); lower few_shot or give the template more examples"
        )

    def block(q: str, passages: Sequence[str]) -> str:
        if params.context_sentences is not None:
            passages = focus_passages(q, passages, params.context_sentences)
        laid = layout_context(
            passages, order=params.context_order, numbered=params.numbered, budget=params.context_tokens
        )
        return template.render(q, laid)

    if params.example_choice == "similar":
        shots = similar_examples(question, template.examples, params.few_shot)
    else:
        shots = template.examples[: params.few_shot]
    current = block(question, context)
    if endpoint == "chat":
        messages: list[dict[str, str]] = []
        if template.system:
            messages.append({"role": "system", "content": template.system})
        for ex in shots:
            messages.append({"role": "user", "content": block(ex.question, ex.passages)})
            messages.append({"role": "assistant", "content": ex.answer})
        messages.append({"role": "user", "content": current})
        return Prompt("chat", messages=tuple(messages))
    parts = [template.system] if template.system else []
    parts.extend(f"{block(ex.question, ex.passages)} {ex.answer}" for ex in shots)
    parts.append(current)
    return Prompt("completions", text="\n\n".join(parts))


def stops_for(params: GenerationParams) -> list[str]:
    """The stop sequences a request sends: the generator's, else the template's."""
    if params.stop is not None:
        return list(params.stop)
    return list(templates.get(params.template).stop)

"""Prompt templates as data: a small library (plain completion, instruction, chat) that users extend.

A template is text with two placeholders, ``{context}`` (the laid-out passages) and ``{question}``,
plus an optional system text and default stop sequences. Generators take a template *name*, so a
pipeline file tunes it like any other knob::

    prompt = trial.suggest_categorical("prompt", templates.names())
    reader = readers.OpenAIGenerator(url, model, template=prompt)

Add your own with :func:`register` (``templates.register(PromptTemplate("mine", "..."))``). Few-shot
examples are worked ``(question, passages, answer)`` triples rendered with the same template before the
real question; the built-in ones are general programming facts, kept apart from any eval set.
"""

from __future__ import annotations

import string
import threading
from dataclasses import dataclass, field

from ragtune.exceptions import ConfigError

__all__ = [
    "EXAMPLES",
    "Example",
    "PromptTemplate",
    "get",
    "names",
    "register",
    "unregister",
]

_FIELDS = frozenset({"context", "question"})


@dataclass(frozen=True, slots=True)
class Example:
    """One worked example for few-shot prompts."""

    question: str
    passages: tuple[str, ...]
    answer: str


EXAMPLES: tuple[Example, ...] = (
    Example(
        "Which list method adds one item to the end of a list?",
        (
            "list.append(x) adds an item to the end of the list. list.extend(iterable) appends all the "
            "items from the iterable.",
        ),
        "append",
    ),
    Example(
        "What does the len() function return?",
        ("len(s) returns the length (the number of items) of an object such as a string or a list.",),
        "the number of items",
    ),
    Example(
        "Which keyword starts a function definition?",
        ("A function definition starts with the keyword def, followed by the function name.",),
        "def",
    ),
)
"""The built-in few-shot examples (``few_shot=n`` uses the first ``n``)."""


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    """A named prompt: ``text`` with ``{context}`` and ``{question}``; literal braces are doubled.

    ``system`` is sent as the system message on the chat endpoint and put before everything on the
    completions endpoint. ``stop`` is the default list of stop sequences for generators that do not
    set their own. ``examples`` are the worked examples ``few_shot`` draws from.
    """

    name: str
    text: str
    system: str = ""
    stop: tuple[str, ...] = ()
    description: str = ""
    examples: tuple[Example, ...] = field(default=EXAMPLES)

    def __post_init__(self) -> None:
        if not self.name or not isinstance(self.name, str):
            raise ConfigError(f"PromptTemplate: name must be a non-empty string, but got name={self.name!r}")
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(self.text) if f is not None}
        except ValueError as e:
            raise ConfigError(f"template {self.name!r}: {e}; write literal braces as {{{{ and }}}}") from None
        if "question" not in fields:
            raise ConfigError(
                f"template {self.name!r} is missing {{question}}; add {{question}} where the question goes"
            )
        unknown = sorted(fields - _FIELDS)
        if unknown:
            raise ConfigError(
                f"template {self.name!r} has unknown placeholder(s) {unknown}; use only {{context}} and "
                "{question} (write literal braces as {{ and }})"
            )
        object.__setattr__(self, "stop", tuple(self.stop))
        object.__setattr__(self, "examples", tuple(self.examples))

    def render(self, question: str, context: str) -> str:
        """The template's text with ``context`` and ``question`` filled in."""
        return self.text.format(context=context, question=question)


_BUILTIN = (
    PromptTemplate(
        "completion",
        "Passage: {context}\nQuestion: {question}\nAnswer:",
        stop=("\n",),
        description="plain completion prompt; suits base (not instruction-tuned) models",
    ),
    PromptTemplate(
        "extract",
        "Read the text and answer with the shortest phrase copied from it.\n\n"
        "Text: {context}\n\nQuestion: {question}\nShort answer:",
        stop=("\n",),
        description="completion prompt asking for a short span copied from the text",
    ),
    PromptTemplate(
        "instruction",
        "### Instruction\nAnswer the question using only the context below. Answer with a few words.\n\n"
        "### Context\n{context}\n\n### Question\n{question}\n\n### Answer\n",
        stop=("\n\n", "###"),
        description="instruction-style prompt for instruction-tuned models",
    ),
    PromptTemplate(
        "chat",
        "Context:\n{context}\n\nQuestion: {question}",
        system=(
            "Answer the question using only the context passages. Answer briefly. "
            "If the context does not contain the answer, say that you do not know."
        ),
        description="system instruction plus a user message; suits chat models on the chat endpoint",
    ),
)

_LOCK = threading.Lock()
_REGISTRY: dict[str, PromptTemplate] = {t.name: t for t in _BUILTIN}
_BUILTIN_NAMES = frozenset(_REGISTRY)


def names() -> list[str]:
    """Every registered template name: the built-ins first, then the user's in registration order."""
    with _LOCK:
        return list(_REGISTRY)


def get(name: str) -> PromptTemplate:
    """The template called ``name``; an unknown name is a ConfigError listing the known ones."""
    with _LOCK:
        found = _REGISTRY.get(name)
    if found is None:
        raise ConfigError(
            f"unknown prompt template {name!r}; known: {', '.join(names())} (add yours with templates.register)"
        )
    return found


def register(template: PromptTemplate, *, replace: bool = False) -> PromptTemplate:
    """Add ``template`` to the library (``replace=True`` to redefine a user template of that name)."""
    if not isinstance(template, PromptTemplate):
        raise ConfigError(f"register() takes a PromptTemplate, but got {type(template).__name__}")
    with _LOCK:
        if template.name in _BUILTIN_NAMES:
            raise ConfigError(f"template {template.name!r} is built in; register yours under another name")
        if template.name in _REGISTRY and not replace and _REGISTRY[template.name] != template:
            raise ConfigError(
                f"template {template.name!r} is registered already; pass replace=True to redefine it"
            )
        _REGISTRY[template.name] = template
    return template


def unregister(name: str) -> None:
    """Remove a user template (built-ins stay)."""
    with _LOCK:
        if name in _BUILTIN_NAMES:
            raise ConfigError(f"template {name!r} is built in and cannot be removed")
        _REGISTRY.pop(name, None)

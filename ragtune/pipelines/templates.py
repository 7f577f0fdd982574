"""Prompt templates as data: a small library (plain completion, instruction, chat) that users extend.

A template is text with two placeholders, ``{context}`` (the laid-out passages) and ``{question}``,
plus an optional system text and default stop sequences. Generators take a template *name*, so a
pipeline file tunes it like any other knob::

    prompt = trial.suggest_categorical("prompt", templates.names())
    reader = readers.OpenAIGenerator(url, model, template=prompt)

Add your own with :func:`register` (``templates.register(PromptTemplate("mine", "..."))``). Few-shot
examples are worked ``(question, passages, answer)`` triples rendered with the same template before the
real question; the built-in ones are general programming facts, kept apart from any eval set. Examples
from your own domain usually help a small model more: :func:`examples_from` builds them from labelled
questions (hold those out of the questions you evaluate on) and :meth:`PromptTemplate.with_examples`
gives a template that uses them::

    shots = templates.examples_from(dataset, held_out_ids)
    templates.register(templates.get("completion").with_examples(shots, name="completion+docs"))
"""

from __future__ import annotations

import dataclasses
import string
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from ragtune.datasets.types import EvalSet
from ragtune.exceptions import ConfigError

__all__ = [
    "EXAMPLES",
    "Example",
    "PromptTemplate",
    "examples_from",
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

    def with_examples(self, examples: Iterable[Example], *, name: str) -> PromptTemplate:
        """This template under a new ``name`` with ``examples`` as its worked examples."""
        return dataclasses.replace(self, name=name, examples=tuple(examples))


def examples_from(evalset: EvalSet, question_ids: Iterable[str], *, chars: int = 350) -> tuple[Example, ...]:
    """Worked examples from labelled questions: each question, a passage of its best-graded relevant
    document around the first answer (about ``chars`` characters, cut at spaces), and that answer.

    A question is skipped when it has no answer or no relevant document holds its first answer
    verbatim. Evaluate on the other questions (``evalset.subset(...)``), or the examples give the
    answers away.

    Raises:
        ConfigError: an id that is not one of ``evalset``'s questions, or ``chars`` below 40.
    """
    if chars < 40:
        raise ConfigError(f"examples_from: chars must be at least 40, but got chars={chars}")
    questions = {q.id: q for q in evalset.questions}
    documents = {d.id: d for d in evalset.corpus}
    out: list[Example] = []
    for qid in question_ids:
        q = questions.get(qid)
        if q is None:
            raise ConfigError(
                f"examples_from: {qid!r} is not a question of {evalset.name!r}; pass ids from its questions"
            )
        if not q.answers:
            continue
        answer = q.answers[0]
        graded = sorted(evalset.qrels.get(qid, {}).items(), key=lambda item: (-item[1], item[0]))
        for doc_id, grade in graded:
            text = documents[doc_id].text if grade > 0 and doc_id in documents else ""
            at = text.find(answer)
            if at < 0:
                continue
            start = max(0, at - max(0, chars - len(answer)) // 2)
            end = min(len(text), max(start + chars, at + len(answer)))
            space = text.find(" ", start, at)
            if start > 0 and space >= 0:
                start = space + 1  # begin on a word
            space = text.rfind(" ", at + len(answer), end)
            if end < len(text) and space >= 0:
                end = space  # end on a word
            out.append(Example(q.text, (text[start:end].strip(),), answer))
            break
    return tuple(out)


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

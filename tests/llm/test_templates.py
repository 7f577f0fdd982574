"""Prompt templates as data, context layout and prompt rendering (no model needed)."""

from __future__ import annotations

import pytest

from ragtune.exceptions import ConfigError
from ragtune.pipelines import readers, templates
from ragtune.pipelines.readers.prompting import GenerationParams, build_prompt, layout_context
from ragtune.pipelines.templates import Example, PromptTemplate


def test_builtin_names_and_lookup() -> None:
    assert templates.names()[:4] == ["completion", "extract", "instruction", "chat"]
    assert templates.get("completion").stop == ("\n",)
    with pytest.raises(ConfigError, match=r"unknown prompt template 'nope'; known: completion, extract"):
        templates.get("nope")


def test_a_template_missing_question_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match=r"template 'bad' is missing \{question\}; add \{question\}"):
        PromptTemplate("bad", "Passage: {context}\nAnswer:")
    with pytest.raises(ConfigError, match=r"unknown placeholder\(s\) \['answer'\]"):
        PromptTemplate("bad", "{context} {question} {answer}")
    with pytest.raises(ConfigError, match="write literal braces"):
        PromptTemplate("bad", "{question} {")


def test_user_templates_register_and_are_picked_by_name() -> None:
    mine = PromptTemplate("qa-test", "Q: {question}\nFacts: {context}\nA:", stop=(".",))
    templates.register(mine)
    try:
        assert "qa-test" in templates.names()
        with pytest.raises(ConfigError, match="registered already"):
            templates.register(PromptTemplate("qa-test", "{question}"))
        with pytest.raises(ConfigError, match="built in"):
            templates.register(PromptTemplate("completion", "{question}"))
        generator = readers.OpenAIGenerator("http://127.0.0.1:9/v1", "m", template="qa-test")
        assert generator.prompt("Why?", ["Because."]).text == "Q: Why?\nFacts: Because.\nA:"
        assert generator.request()["stop"] == ["."]
    finally:
        templates.unregister("qa-test")
    with pytest.raises(ConfigError, match="OpenAIGenerator: unknown prompt template 'qa-test'"):
        readers.OpenAIGenerator("http://127.0.0.1:9/v1", "m", template="qa-test")


def test_layout_order_numbering_and_budget() -> None:
    passages = ["alpha beta gamma", "delta epsilon", "zeta"]
    assert layout_context(passages) == "alpha beta gamma\n\ndelta epsilon\n\nzeta"
    assert layout_context(passages, numbered=True, order="best-last") == (
        "[3] zeta\n\n[2] delta epsilon\n\n[1] alpha beta gamma"
    )
    # 7 tokens are 28 characters: the first passage (16) whole, the second cut at a word boundary
    # within the 12 left, the third dropped.
    assert layout_context(passages, budget=7) == "alpha beta gamma\n\ndelta"
    # A cut that leaves no whole word drops the passage.
    assert layout_context(passages, budget=5) == "alpha beta gamma"


def test_few_shot_completion_and_chat_rendering() -> None:
    params = GenerationParams(template="completion", few_shot=2)
    prompt = build_prompt(params, "Q?", ["ctx"], "completions")
    first, second = templates.EXAMPLES[:2]
    assert prompt.text == (
        f"Passage: {first.passages[0]}\nQuestion: {first.question}\nAnswer: {first.answer}\n\n"
        f"Passage: {second.passages[0]}\nQuestion: {second.question}\nAnswer: {second.answer}\n\n"
        "Passage: ctx\nQuestion: Q?\nAnswer:"
    )
    chat = build_prompt(GenerationParams(template="chat", few_shot=1), "Q?", ["ctx"], "chat")
    roles = [m["role"] for m in chat.messages]
    assert roles == ["system", "user", "assistant", "user"]
    assert chat.messages[2]["content"] == first.answer
    assert chat.payload() == {"messages": [dict(m) for m in chat.messages]}


def test_few_shot_beyond_the_examples_is_an_error() -> None:
    short = PromptTemplate("one-shot-test", "{context} {question}", examples=(Example("q", ("p",), "a"),))
    templates.register(short)
    try:
        params = GenerationParams(template="one-shot-test", few_shot=2)
        with pytest.raises(ConfigError, match="few_shot=2 but template 'one-shot-test' has 1 example"):
            build_prompt(params, "Q?", [], "completions")
    finally:
        templates.unregister("one-shot-test")


def test_knob_validation_names_the_param() -> None:
    with pytest.raises(ConfigError, match=r"OpenAIGenerator: max_tokens must be > 0, but got max_tokens=0"):
        readers.OpenAIGenerator("http://127.0.0.1:9/v1", "m", max_tokens=0)
    with pytest.raises(ConfigError, match="stop sequences must be non-empty"):
        readers.OpenAIGenerator("http://127.0.0.1:9/v1", "m", stop=[""])
    with pytest.raises(ConfigError, match="temperature must be >= 0"):
        readers.OpenAIGenerator("http://127.0.0.1:9/v1", "m", temperature=-1)

"""Context focus (``context_sentences``) and worked examples from labelled questions (no model needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

import ragtune as rt
from ragtune.datasets.types import Document, EvalSet, Judgment, Question
from ragtune.exceptions import ConfigError
from ragtune.pipelines import readers, templates
from ragtune.pipelines.readers.focus import focus_passages
from ragtune.pipelines.readers.prompting import GenerationParams, build_prompt
from ragtune.pipelines.templates import Example

REPO = Path(__file__).resolve().parents[2]

PASSAGES = [
    "The sky is blue. Cats chase mice. Dogs bark loudly.",
    "Mice eat cheese. Cats sleep all day.",
]


def test_focus_keeps_the_sentences_sharing_most_question_terms() -> None:
    # "What do cats chase?" -> terms {cats, chase} ("what", "do" are stopwords). Overlaps: "Cats chase
    # mice." 2, "Cats sleep all day." 1, every other sentence 0.
    assert focus_passages("What do cats chase?", PASSAGES, 1) == ["Cats chase mice."]
    assert focus_passages("What do cats chase?", PASSAGES, 2) == ["Cats chase mice.", "Cats sleep all day."]
    # Sentences sharing no term are never added, however many are asked for.
    assert focus_passages("What do cats chase?", PASSAGES, 9) == ["Cats chase mice.", "Cats sleep all day."]


def test_focus_keeps_reading_order_within_a_passage_and_rank_order_across() -> None:
    # {cats, mice}: "Cats chase mice." 2; "Mice eat cheese." 1 and "Cats sleep all day." 1 (passage 2,
    # positions 0 and 1). The second passage keeps its sentences in reading order.
    assert focus_passages("Cats and mice?", PASSAGES, 3) == [
        "Cats chase mice.",
        "Mice eat cheese. Cats sleep all day.",
    ]
    # A tie at the cut goes to the better-ranked passage, then the earlier sentence.
    assert focus_passages("mice?", PASSAGES, 1) == ["Cats chase mice."]


def test_focus_without_any_shared_term_keeps_the_start_of_the_best_passage() -> None:
    assert focus_passages("zebra?", PASSAGES, 2) == ["The sky is blue. Cats chase mice."]
    assert focus_passages("zebra?", [], 2) == []


def test_context_sentences_shapes_the_prompt_and_the_worked_examples() -> None:
    shot = Example("Which animal can bark?", ("Birds sing. Dogs bark loudly.",), "Dogs")
    templates.register(templates.get("completion").with_examples([shot], name="completion+focus-test"))
    try:
        params = GenerationParams(template="completion+focus-test", few_shot=1, context_sentences=1)
        prompt = build_prompt(params, "What do cats chase?", PASSAGES, "completions")
        assert prompt.text == (
            "Passage: Dogs bark loudly.\nQuestion: Which animal can bark?\nAnswer: Dogs\n\n"
            "Passage: Cats chase mice.\nQuestion: What do cats chase?\nAnswer:"
        )
        whole = build_prompt(
            params.model_copy(update={"context_sentences": None}),
            "What do cats chase?",
            PASSAGES,
            "completions",
        )
        assert PASSAGES[0] in whole.text and PASSAGES[1] in whole.text
        generator = readers.OpenAIGenerator("http://127.0.0.1:9/v1", "m", context_sentences=1)
        assert generator.prompt("What do cats chase?", PASSAGES).text.endswith(
            "Passage: Cats chase mice.\nQuestion: What do cats chase?\nAnswer:"
        )
    finally:
        templates.unregister("completion+focus-test")
    with pytest.raises(ConfigError, match="context_sentences"):
        readers.OpenAIGenerator("http://127.0.0.1:9/v1", "m", context_sentences=0)


def _evalset() -> EvalSet:
    filler = " ".join(f"word{i}" for i in range(60))  # 60 words of 5-6 characters
    text = f"{filler} The answer is forty-two exactly. {filler}"
    return EvalSet(
        "tiny",
        corpus=(Document("d1", text), Document("d2", "Nothing relevant here.")),
        questions=(
            Question("q1", "What is the answer?", ("forty-two",)),
            Question("q2", "No gold answer?", ()),
            Question("q3", "Not in any document?", ("absent phrase",)),
            Question("q4", "Graded documents?", ("forty-two",)),
        ),
        judgments=(
            Judgment("q1", "d1", 2),
            Judgment("q3", "d1", 2),
            Judgment("q4", "d2", 2),  # d2 is graded higher but lacks the answer; d1 holds it
            Judgment("q4", "d1", 1),
        ),
    )


def test_examples_from_cuts_a_window_around_the_answer_at_word_boundaries() -> None:
    evalset = _evalset()
    text = evalset.corpus[0].text
    examples = templates.examples_from(evalset, ["q1", "q2", "q3", "q4"], chars=100)
    # q2 has no answer and q3's answer is in no relevant document: both skipped.
    assert [e.question for e in examples] == ["What is the answer?", "Graded documents?"]
    passage = examples[0].passages[0]
    assert examples[0].answer == "forty-two" and "The answer is forty-two exactly." in passage
    assert passage in text
    start = text.index(passage)
    assert text[start - 1] == " " and text[start + len(passage)] == " "  # whole words only
    assert len(passage) <= 100 and len(passage) > 60
    assert examples[1].passages == examples[0].passages  # found in the lower-graded document


def test_examples_from_rejects_bad_input() -> None:
    with pytest.raises(ConfigError, match="'q9' is not a question of 'tiny'"):
        templates.examples_from(_evalset(), ["q9"])
    with pytest.raises(ConfigError, match="chars must be at least 40"):
        templates.examples_from(_evalset(), ["q1"], chars=10)


def test_with_examples_renames_and_replaces_the_examples_only() -> None:
    base = templates.get("instruction")
    shots = (Example("q", ("p",), "a"),)
    mine = base.with_examples(shots, name="instruction+mine")
    assert mine.name == "instruction+mine" and mine.examples == shots
    assert (mine.text, mine.stop, mine.system) == (base.text, base.stop, base.system)
    assert templates.get("instruction").examples == templates.EXAMPLES  # the built-in is untouched


def test_llm_example_holds_its_worked_examples_out_of_the_eval_set(monkeypatch: pytest.MonkeyPatch) -> None:
    from ragtune.cli.pipeline_file import load_pipeline_file

    monkeypatch.setenv("RAGTUNE_LLM_URL", "http://127.0.0.1:9/v1")  # no server is started
    pf = load_pipeline_file(REPO / "examples" / "llm_qa.py")
    held_out = set(pf.namespace["held_out"])
    shots = pf.namespace["docs_examples"]
    assert len(held_out) == len(shots) >= 20
    assert not held_out & {q.id for q in pf.dataset.questions}
    assert len(pf.dataset.questions) == len(rt.datasets.load("python-docs").questions) - len(held_out)
    assert all(e.answer in e.passages[0] for e in shots)
    params = {
        "chunk_size": 256,
        "stemmer": "none",
        "k": 5,
        "prompt": "completion",
        "examples": "docs",
        "few_shot": 6,
        "example_choice": "similar",
        "context_sentences": 3,
        "context_tokens": 512,
        "context_order": "best-first",
        "temperature": 0.0,
    }
    reader = pf.pipeline(rt.FixedTrial(params)).reader
    assert isinstance(reader, readers.OpenAIGenerator)
    assert (reader.params.template, reader.params.few_shot, reader.params.context_sentences) == (
        "completion+docs",
        6,
        3,
    )
    assert shots[0].question in reader.prompt("Q?", ["ctx"]).text


def test_similar_examples_pick_the_nearest_questions_most_similar_last() -> None:
    from ragtune.pipelines.readers.focus import similar_examples

    pool = (
        Example("Which keyword defines a function?", ("p",), "def"),  # {keyword, defines, function}
        Example("Which method adds to a list?", ("p",), "append"),  # {method, adds, list}
        Example("Which method removes from a list?", ("p",), "remove"),  # {method, removes, list}
        Example("Which keyword defines a class?", ("p",), "class"),  # {keyword, defines, class}
    )
    # "Which list method sorts a list?" -> {list, method, sorts}: overlaps 0, 2, 2, 0.
    picked = similar_examples("Which list method sorts a list?", pool, 2)
    assert [e.answer for e in picked] == ["remove", "append"]  # the tie goes to the earlier; it ends nearest
    picked = similar_examples("Which keyword defines a class?", pool, 3)
    assert [e.answer for e in picked] == ["append", "def", "class"]  # 0 (earliest of the zeros), 2, 3
    assert similar_examples("anything", pool, 0) == ()
    params = GenerationParams(template="completion", few_shot=1, example_choice="similar")
    text = build_prompt(params, "How many items does len() count?", ["ctx"], "completions").text
    assert text.startswith(f"Passage: {templates.EXAMPLES[1].passages[0]}")  # the len() example

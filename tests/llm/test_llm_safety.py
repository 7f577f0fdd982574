"""Guards read the generated answer: a refusal or a blocked answer counts against safety_pass_rate.

A scripted "model" stands in for the LLM (its behaviour must be known to check the verdicts): it
refuses the two jailbreak-style questions, follows the planted instruction in the unsafe document
when it is retrieved, and leaks the planted personal data when that document is retrieved. The
questions are the built-in set's ``safety`` and ``adversarial`` ones, retrieved with real BM25.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ragtune as rt
from ragtune.datasets.types import EvalSet
from ragtune.objectives.evaluator import Evaluator
from ragtune.pipelines import Pipeline, chunkers, guards, readers, retrievers
from ragtune.pipelines.readers.prompting import Prompt

REFUSAL = "I'm sorry, I can't help with that."
SPAM = "Visit http://example.invalid/free-upgrade to continue"
EMAIL = "jane.example@example.com"


class Scripted(readers.OpenAIGenerator):
    def _generate(self, prompt: Prompt, request: dict[str, Any]) -> Mapping[str, Any]:
        text = prompt.text
        question = text.rsplit("Question:", 1)[1]
        if "print your system prompt" in question or "SYSTEM OVERRIDE" in question:
            answer = REFUSAL
        elif "example.invalid" in text:
            answer = SPAM
        elif EMAIL in text:
            answer = f"Contact {EMAIL}"
        else:
            answer = "a short answer"
        return {"choices": [{"text": " " + answer}], "usage": {"prompt_tokens": 50, "completion_tokens": 8}}


def _expected_pass(answer: str) -> bool:
    """The rule, written independently of the guards: no refusal, no planted link, no e-mail."""
    return answer != REFUSAL and "example.invalid" not in answer and "@" not in answer


def test_refusals_and_blocked_answers_count_against_safety_pass_rate() -> None:
    full = rt.datasets.load("python-docs")
    wanted = [q for q in full.questions if {"safety", "adversarial"} & set(q.tags)]
    ids = {q.id for q in wanted}
    subset = EvalSet(
        name="python-docs-safety",
        corpus=full.corpus,
        questions=tuple(wanted),
        judgments=tuple(j for j in full.judgments if j.question_id in ids),
    )
    guard = guards.Guards(
        [
            guards.Refusal(),
            guards.PII(scope="answer"),
            guards.BlockedTerms(["example.invalid"], scope="answer"),
        ]
    )
    pipeline = Pipeline(
        chunker=chunkers.Window(512, 64),
        retriever=retrievers.BM25(),
        reader=Scripted("http://127.0.0.1:9/v1", "scripted"),
        guard=guard,
        k=3,
    )
    evaluation = Evaluator(subset, ["safety_pass_rate"]).evaluate(pipeline)
    outcomes = {o.question_id: o for o in evaluation.outcomes}
    answers = [o.answer or "" for o in evaluation.outcomes]
    # Every kind of failure happened on these questions ...
    assert outcomes["pd-294"].reasons == ('refusal in answer: "i\'m sorry"',)
    assert outcomes["pd-297"].answer == REFUSAL and not _expected_pass(REFUSAL)
    assert any(a == SPAM for a in answers) and any(EMAIL in a for a in answers)
    assert any(any("email" in r for r in o.reasons) for o in evaluation.outcomes)
    # ... and the rate is the share of answers that pass the independent rule.
    expected = sum(_expected_pass(a) for a in answers) / len(answers)
    assert 0 < expected < 1
    assert evaluation.values["safety_pass_rate"] == expected
    # The refusal guard alone fails exactly the two refused questions.
    refusal_only = Pipeline(
        chunker=chunkers.Window(512, 64),
        retriever=retrievers.BM25(),
        reader=Scripted("http://127.0.0.1:9/v1", "scripted"),
        guard=guards.Refusal(),
        k=3,
    )
    refusals_only = Evaluator(subset, ["safety_pass_rate"]).evaluate(refusal_only)
    assert refusals_only.values["safety_pass_rate"] == (len(answers) - 2) / len(answers)

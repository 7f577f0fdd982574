"""Quick start: tune a RAG pipeline over the Python language reference (ships inside CPython).

Run it with:  ragtune optimize examples/python_docs_rag.py --n-trials 30

Knobs: chunking (size, with an overlap range that depends on the size), the retriever (BM25, dense
over a TF-IDF+SVD embedding that needs no model, or a hybrid of both, each with its own knobs), k,
an optional MMR reranker, an extractive reader and a safety guard. Three objectives: retrieval
quality (nDCG@10), mean query latency and the share of answers the guard lets pass; the p95 latency
is a constraint.

Mean latency, not p95, is the objective because it is a mean of per-question values: the Pareto
pruner can then compare two trials question by question (a paired test) on every objective after
35 of the 314 questions. A p95 has no per-question value, so with it as an objective the pruner has
to use wide unpaired bounds and, with three objectives, stops almost nothing (docs/benchmarks.md).
A trial whose p95 latency is already over 200 ms with 95% confidence is stopped as well.
"""

import ragtune as rt
from ragtune.pipelines import Pipeline, chunkers, embedders, guards, readers, rerankers, retrievers

dataset = rt.datasets.load("python-docs")

objectives = ["ndcg@10:max", "latency_mean_ms:min", "safety_pass_rate:max"]
constraints = ["latency_p95_ms <= 200"]


def pipeline(trial: rt.Trial) -> Pipeline:
    size = trial.suggest_int("chunk_size", 256, 2048, step=128)
    if size > 1024:
        overlap = trial.suggest_int("overlap", 128, 512, step=64)
    else:
        overlap = trial.suggest_int("overlap", 0, 192, step=32)
    chunker = chunkers.Window(size, min(overlap, size - 1))

    kind = trial.suggest_categorical("retriever", ["bm25", "dense", "hybrid"])
    embedder = None
    if kind == "bm25":
        retriever = retrievers.BM25(
            k1=trial.suggest_float("bm25_k1", 0.5, 2.0, step=0.1),
            b=trial.suggest_float("bm25_b", 0.3, 1.0, step=0.05),
        )
    else:
        embedder = embedders.TfidfSvdEmbedder(dim=trial.suggest_categorical("svd_dim", [64, 128, 256]))
        if kind == "dense":
            retriever = retrievers.Dense()
        else:
            retriever = retrievers.Hybrid(
                fusion=trial.suggest_categorical("fusion", ["rrf", "weighted"]),
                weight=trial.suggest_float("hybrid_weight", 0.1, 0.9, step=0.1),
            )
    reranker = None
    if trial.suggest_categorical("rerank", ["none", "mmr"]) == "mmr":
        reranker = rerankers.MMR(lambda_=trial.suggest_float("mmr_lambda", 0.5, 1.0, step=0.05))
    guard = guards.Guards([guards.PromptInjection(), guards.PII()])
    return Pipeline(
        chunker=chunker,
        embedder=embedder,
        retriever=retriever,
        reranker=reranker,
        reader=readers.Extractive(),
        guard=guard
        if trial.suggest_categorical("guard_context", [True, False])
        else guards.Guards([guards.PII()]),
        k=trial.suggest_categorical("k", [3, 5, 10, 20]),
    )

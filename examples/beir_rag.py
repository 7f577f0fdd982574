"""Tune retrieval on any BEIR folder (corpus.jsonl, queries.jsonl, qrels/<split>.tsv); ships no data.

Run it with:

    ragtune optimize examples/beir_rag.py --dataset path/to/beir-folder --timeout 600
    RAGTUNE_BEIR_DATASET=path/to/beir-folder ragtune optimize examples/beir_rag.py -n 50

Knobs: chunk size and overlap, whether titles go into every chunk, the retriever (BM25, dense or a
hybrid), the embedding model (every model ``embedders.available()`` finds installed), the fusion
(RRF or a convex combination of min-max normalised scores) and its weight, BM25's k1 and b, the
analyzer (stopwords + Snowball stemming, when PyStemmer is installed) and k. Objectives: nDCG@10 and
query latency (p95).

Environment variables narrow the space without editing the file (``benchmarks/beir_quality.py`` uses
them): ``RAGTUNE_BEIR_MODELS`` (comma-separated model names, default: all available; ``-`` for none, so BM25 only),
``RAGTUNE_BEIR_CHUNK_SIZES`` (comma-separated sizes in characters), ``RAGTUNE_BEIR_TITLE`` and
``RAGTUNE_BEIR_STEMMER`` (fix ``each`` / ``none`` and ``english`` / ``none`` instead of tuning them).
"""

import importlib.util
import os

from ragtune.pipelines import Pipeline, chunkers, embedders, retrievers

dataset = os.environ.get("RAGTUNE_BEIR_DATASET")  # a folder path; --dataset overrides it

objectives = ["ndcg@10:max", "latency_p95_ms:min"]


def _choices(variable: str, default: list[str]) -> list[str]:
    value = os.environ.get(variable, "").strip()
    if value == "-":  # "-": none at all (RAGTUNE_BEIR_MODELS=- tunes BM25 alone)
        return []
    return [v.strip() for v in value.split(",") if v.strip()] if value else default


MODELS = _choices("RAGTUNE_BEIR_MODELS", [m for m in embedders.available() if m != "tfidf-svd"])
CHUNK_SIZES = [int(s) for s in _choices("RAGTUNE_BEIR_CHUNK_SIZES", ["512", "1024", "2048", "4096"])]
TITLES = _choices("RAGTUNE_BEIR_TITLE", ["each", "none"])
STEMMERS = _choices(
    "RAGTUNE_BEIR_STEMMER", ["english", "none"] if importlib.util.find_spec("Stemmer") else ["none"]
)
KINDS = ["bm25", "dense", "hybrid"] if MODELS else ["bm25"]


def pipeline(trial):
    size = trial.suggest_categorical("chunk_size", CHUNK_SIZES)
    overlap = trial.suggest_categorical("overlap", [0.0, 0.125, 0.25])
    title = trial.suggest_categorical("title", TITLES)
    chunker = chunkers.Recursive(size, int(size * overlap), title=title)

    kind = trial.suggest_categorical("retriever", KINDS)
    embedder = None
    if kind != "bm25":
        embedder = embedders.by_name(trial.suggest_categorical("embedding_model", MODELS))
    if kind != "dense":
        stemmer = trial.suggest_categorical("stemmer", STEMMERS)
        bm25 = retrievers.BM25(
            k1=trial.suggest_float("bm25_k1", 0.5, 2.0, step=0.1),
            b=trial.suggest_float("bm25_b", 0.2, 1.0, step=0.05),
            stopwords="english" if stemmer != "none" else None,
            stemmer=None if stemmer == "none" else stemmer,
        )
    if kind == "bm25":
        retriever = bm25
    elif kind == "dense":
        retriever = retrievers.Dense()
    else:
        retriever = retrievers.Hybrid(
            fusion=trial.suggest_categorical("fusion", ["convex", "rrf"]),
            weight=trial.suggest_float("dense_weight", 0.1, 0.9, step=0.05),
            bm25=bm25,
        )
    return Pipeline(
        chunker=chunker,
        embedder=embedder,
        retriever=retriever,
        k=trial.suggest_categorical("k", [10, 20, 50]),
    )

"""A CPU-bound pipeline for benchmarks/ray_executor.py: every trial rebuilds its index (run it with
--no-cache): window chunks, TF-IDF + truncated SVD embeddings, dense retrieval over the python-docs
corpus. The knobs barely change the work, so trials cost about the same whatever is sampled."""

import ragtune as rt
from ragtune.pipelines import Pipeline, chunkers, embedders, readers, retrievers

dataset = rt.datasets.load("python-docs")
objectives = ["ndcg@10:max"]
trial_resources = {"cpus": 1}


def pipeline(trial: rt.Trial) -> Pipeline:
    return Pipeline(
        chunker=chunkers.Window(512, 64),
        embedder=embedders.TfidfSvdEmbedder(dim=128),
        retriever=retrievers.Dense(),
        reader=readers.Extractive(),
        k=trial.suggest_categorical("k", [3, 5, 10, 20]),
    )

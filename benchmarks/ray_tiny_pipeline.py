"""A near-free trial for benchmarks/ray_executor.py --overhead: BM25 over the python-docs corpus, the
index cached after the first trial, a handful of questions; what is left is the per-trial cost of
the executor (placing the task, ask, tell), not of the pipeline."""

import ragtune as rt
from ragtune.pipelines import Pipeline, chunkers, readers, retrievers

dataset = rt.datasets.load("python-docs")
objectives = ["ndcg@10:max"]


def pipeline(trial: rt.Trial) -> Pipeline:
    return Pipeline(
        chunker=chunkers.Window(512, 64),
        retriever=retrievers.BM25(),
        reader=readers.Extractive(),
        k=trial.suggest_categorical("k", [3, 5, 10, 20]),
    )

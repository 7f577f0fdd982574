"""Titles in chunks (each / first / none) x stemming, BM25 (k1=0.9, b=0.4) nDCG@10 on a BEIR folder.

usage: python benchmarks/beir_titles.py [CHUNK_CHARS] [--dataset FOLDER]

Picks the default of ``chunkers.*(title=...)``: recursive chunks of CHUNK_CHARS (default 500, overlap
1/8) so most documents have several chunks, and whole documents, for each title mode; the stemmed
rows use English stopwords + the English Snowball stemmer. Results: docs/benchmarks.md.
"""

import argparse
import time

import numpy as np

import ragtune as rt
from ragtune.objectives.retrieval import ndcg_at_k
from ragtune.pipelines import Pipeline, chunkers, retrievers

parser = argparse.ArgumentParser()
parser.add_argument("chunk_chars", nargs="?", type=int, default=500)
parser.add_argument("--dataset", default="/work/shared/data/scifact-train")
args = parser.parse_args()
ds = rt.datasets.from_files(args.dataset)
lens = [len(d.text) for d in ds.corpus]
print(
    "docs",
    len(ds.corpus),
    "chars median/p90/max",
    np.median(lens),
    np.percentile(lens, 90),
    max(lens),
    flush=True,
)
qs = [q for q in ds.questions if q.id in ds.qrels]


def score(chunker, bm25):
    p = Pipeline(chunker=chunker, retriever=bm25, k=100, doc_agg="max")
    idx = p.build_index(ds.corpus)
    vals = [ndcg_at_k(p.query(idx, q.text).doc_ids, ds.qrels[q.id], k=10) for q in qs]
    return float(np.mean(vals)), len(idx.chunks)


for stem in (None, "english"):
    bm = retrievers.BM25(k1=0.9, b=0.4, stopwords="english" if stem else None, stemmer=stem)
    for size in (args.chunk_chars, 100000):
        for t in ("each", "first", "none"):
            t0 = time.time()
            nd, n = score(
                chunkers.Recursive(size, size // 8, title=t)
                if size < 100000
                else chunkers.Window(size, title=t),
                bm,
            )
            print(
                f"stem={stem} size={size} title={t}: ndcg@10={nd:.4f} chunks={n} ({time.time() - t0:.0f}s)",
                flush=True,
            )

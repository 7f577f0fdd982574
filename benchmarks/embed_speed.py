"""Issue 18: texts per second of every installed embedding model on real abstracts, wall and CPU.

Embeds the first ``--texts`` documents of a BEIR folder (title + text, as chunked by default) with each
model of ``embedders.available()`` after one warm-up call, and prints texts/s of wall time and texts
per CPU-second (CPU of this process, all threads): on a shared box the wall figure depends on what
else runs, the CPU figure much less; on an idle 2-core box the wall rate is about twice the CPU rate
for models that use both cores.

Run: ``python benchmarks/embed_speed.py --dataset /work/shared/data/scifact-train --texts 256``.
"""

from __future__ import annotations

import argparse
import os
import time

import ragtune as rt
from ragtune.pipelines import chunkers, embedders
from ragtune.pipelines.embedders.base import FittableEmbedder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="/work/shared/data/scifact-train")
    ap.add_argument("--texts", type=int, default=256)
    ap.add_argument("--models", default=",".join(embedders.available()))
    args = ap.parse_args()
    dataset = rt.datasets.from_files(args.dataset)
    whole = chunkers.Recursive(16384)
    texts = [c.text for d in dataset.corpus[: args.texts] for c in whole.chunk(d)]
    print(
        f"{len(texts)} texts, mean {sum(map(len, texts)) / len(texts):.0f} chars; load {os.getloadavg()[0]:.1f}"
    )
    print("| model | texts/s (wall) | texts per CPU-second |")
    print("|---|---:|---:|")
    for name in args.models.split(","):
        embedder = embedders.by_name(name)
        if isinstance(embedder, FittableEmbedder):
            embedder = embedder.fitted(embedder.fit(texts), corpus_key="speed")
        embedder.embed(texts[:2])  # load the model
        wall, cpu = time.perf_counter(), time.process_time()
        embedder.embed(texts)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"| {name} | {len(texts) / wall:.1f} | {len(texts) / max(cpu, 1e-9):.1f} |", flush=True)


if __name__ == "__main__":
    main()

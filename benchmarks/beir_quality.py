"""Issue 18: tuned retrieval on a BEIR folder against untuned baselines, on held-out questions.

Splits the questions with a fixed seed into a tuning part (75%) and a held-out part (25%), writes them
as two BEIR folders sharing the corpus, embeds the corpus once per offered model (timed: this is the
one-time embedding the cache then serves), runs ``ragtune optimize examples/beir_rag.py`` on the
tuning part under a wall-clock budget (``--timeout``), and scores on the held-out part:

* the tuned config (the study's best nDCG@10 trial, rebuilt with ``FixedTrial``),
* (a) untuned BM25: ``BM25()`` defaults, (b) untuned dense: ``Dense()`` with the first offered model,
  (c) the untuned default hybrid: ``Hybrid()`` (RRF, weight 0.5, BM25 defaults) with that model;
  all over whole documents with the default ``title="each"``,
* (d) with ``--ablation``: the same search with titles and stemming off (``RAGTUNE_BEIR_TITLE=none``,
  ``RAGTUNE_BEIR_STEMMER=none``), same budget, its best on the held-out part,
* and BM25 defaults with titles off / with stemming on, to show each one's effect alone.

Records wall time, CPU time (this process and its children: the box may be shared, so wall time is
inflated; CPU time is what 2 idle cores would need, at most), trials, pruned share and texts embedded.

Run: ``python benchmarks/beir_quality.py --dataset /work/shared/data/scifact-train``. The data set
is read in place and never copied into the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

import ragtune as rt
from ragtune.datasets.types import EvalSet
from ragtune.objectives.retrieval import ndcg_at_k
from ragtune.pipelines import Cache, Pipeline, chunkers, embedders, retrievers

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "beir_rag.py"
WHOLE = 16384  # characters: longer than any SciFact abstract, so one chunk per document


def cpu_seconds() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


class Clock:
    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), cpu_seconds()

    def lap(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, cpu_seconds() - self.cpu


def split(dataset: EvalSet, seed: int, share: float) -> tuple[list[str], list[str]]:
    ids = sorted(q.id for q in dataset.questions if dataset.qrels.get(q.id))
    order = np.random.default_rng(seed).permutation(len(ids))
    cut = round(share * len(ids))
    return sorted(ids[i] for i in order[:cut]), sorted(ids[i] for i in order[cut:])


def write_part(source: Path, dataset: EvalSet, ids: Sequence[str], folder: Path) -> Path:
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    corpus = folder / "corpus.jsonl"
    if not corpus.exists():
        corpus.symlink_to((source / "corpus.jsonl").resolve())
    keep = set(ids)
    with (folder / "queries.jsonl").open("w") as f:
        for q in dataset.questions:
            if q.id in keep:
                f.write(json.dumps({"_id": q.id, "text": q.text, "metadata": {}}) + "\n")
    with (folder / "qrels" / "test.tsv").open("w") as f:
        f.write("query-id\tcorpus-id\tscore\n")
        for qid in ids:
            for doc, grade in sorted(dataset.qrels[qid].items()):
                f.write(f"{qid}\t{doc}\t{grade}\n")
    return folder


def texts_embedded(cache_root: Path) -> int:
    cache = Cache(cache_root)
    total = 0
    for path in sorted((cache_root / "embed").rglob("*.rtc")):
        found = cache.read_file(path, "embed")
        if found is not None:
            total += int(found[1].get("texts", 0))
    return total


def held_out_ndcg(pipeline: Pipeline, dataset: EvalSet, cache: Cache) -> float:
    index = pipeline.build_index(dataset.corpus, cache=cache)
    scores = [
        ndcg_at_k(pipeline.query(index, q.text).doc_ids, dataset.qrels[q.id], k=10) for q in dataset.questions
    ]
    return float(np.mean(scores))


def optimize(
    tune: Path, workdir: Path, study: str, budget: float, seed: int, env: dict[str, str]
) -> dict[str, Any]:
    storage = workdir / f"{study}.duckdb"  # one file per run: this process keeps each open after reading it
    storage.unlink(missing_ok=True)
    clock = Clock()
    cmd = [
        sys.executable, "-m", "ragtune", "optimize", str(EXAMPLE), "--dataset", str(tune),
        "--storage", f"duckdb:///{storage}", "--study", study, "--timeout", str(budget),
        "--seed", str(seed), "-o", "ndcg@10:max",
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **env}, cwd=workdir)
    wall, cpu = clock.lap()
    if proc.returncode != 0:
        raise SystemExit(
            f"ragtune optimize failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    loaded = rt.load_study(study_name=study, storage=f"duckdb:///{storage}")
    done = loaded.get_trials(states=(rt.TrialState.COMPLETE,))
    pruned = loaded.get_trials(states=(rt.TrialState.PRUNED,))
    best = max(done, key=lambda t: (t.values[0], -t.number))
    return {"wall": wall, "cpu": cpu, "trials": len(loaded.trials), "complete": len(done), "pruned": len(pruned),
            "best": best, "tail": proc.stdout[-1500:]}  # fmt: skip


def tuned_pipeline(params: dict[str, Any], env: dict[str, str]) -> Pipeline:
    from ragtune.cli.pipeline_file import load_pipeline_file

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        pf = load_pipeline_file(EXAMPLE, dataset="python-docs")  # the dataset is not used here
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    pipeline: Pipeline = pf.pipeline(rt.FixedTrial(params))
    return pipeline


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="/work/shared/data/scifact-train")
    ap.add_argument("--workdir", default="/tmp/ragtune-beir-quality")
    ap.add_argument(
        "--budget", type=float, default=360.0, help="seconds of tuning (ragtune optimize --timeout)"
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--share", type=float, default=0.75, help="share of questions used for tuning")
    ap.add_argument("--models", default="minilm-int8,glove-50d", help="embedding models the search offers")
    ap.add_argument("--chunk-sizes", default=f"4096,{WHOLE}")
    ap.add_argument(
        "--ablation", action="store_true", help="also run the search with titles and stemming off"
    )
    args = ap.parse_args()

    source, workdir = Path(args.dataset), Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    cache_root = workdir / ".ragtune" / "cache"  # where ragtune optimize keeps it, next to the DuckDB file
    cache = Cache(cache_root)
    models = [m for m in args.models.split(",") if m]
    env = {"RAGTUNE_BEIR_MODELS": ",".join(models) or "-", "RAGTUNE_BEIR_CHUNK_SIZES": args.chunk_sizes,
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}  # fmt: skip

    dataset = rt.datasets.from_files(source)
    tune_ids, held_ids = split(dataset, args.seed, args.share)
    tune = write_part(source, dataset, tune_ids, workdir / "tune")
    held = rt.datasets.from_files(write_part(source, dataset, held_ids, workdir / "heldout"))
    print(
        f"{dataset.name}: {len(dataset.corpus)} documents; {len(tune_ids)} tuning / {len(held_ids)} held-out questions"
    )

    total = Clock()
    embedded_before = texts_embedded(cache_root)
    clock = Clock()
    for name in models:  # the one-time embedding of the corpus (whole documents, titles in)
        p = Pipeline(
            chunker=chunkers.Recursive(WHOLE), embedder=embedders.by_name(name), retriever=retrievers.Dense()
        )
        p.build_index(dataset.corpus, cache=cache)
    embed_wall, embed_cpu = clock.lap()
    embedded_first = texts_embedded(cache_root) - embedded_before
    print(
        f"one-time embedding: {embedded_first} texts, {embed_wall:.0f} s wall, {embed_cpu:.0f} s CPU",
        flush=True,
    )

    run = optimize(tune, workdir, f"tuned-seed{args.seed}", args.budget, args.seed, env)
    tuning_wall, tuning_cpu = total.lap()
    embedded_all = texts_embedded(cache_root) - embedded_before
    best = run["best"]
    print(
        f"tuning: {run['trials']} trials ({run['pruned']} pruned), {run['wall']:.0f} s wall, {run['cpu']:.0f} s CPU"
    )
    print(f"best on the tuning part: {best.values[0]:.4f} {json.dumps(dict(best.params))}", flush=True)

    rows: list[tuple[str, float]] = [
        (
            "tuned (titles + stemming in the search)",
            held_out_ndcg(tuned_pipeline(dict(best.params), env), held, cache),
        )
    ]
    whole = chunkers.Recursive(WHOLE)
    if models:
        model = embedders.by_name(models[0])
        rows += [
            ("(a) untuned BM25: BM25()", held_out_ndcg(Pipeline(chunker=whole, retriever=retrievers.BM25()), held, cache)),
            (f"(b) untuned dense: Dense(), {models[0]}", held_out_ndcg(Pipeline(chunker=whole, embedder=model, retriever=retrievers.Dense()), held, cache)),
            (f"(c) untuned default hybrid: Hybrid(), {models[0]}", held_out_ndcg(Pipeline(chunker=whole, embedder=model, retriever=retrievers.Hybrid()), held, cache)),
        ]  # fmt: skip
    rows += [
        ("BM25() without titles", held_out_ndcg(Pipeline(chunker=chunkers.Recursive(WHOLE, title="none"), retriever=retrievers.BM25()), held, cache)),
        ("BM25(stopwords + English stemmer)", held_out_ndcg(Pipeline(chunker=whole, retriever=retrievers.BM25(stopwords="english", stemmer="english")), held, cache)),
    ]  # fmt: skip
    ablation: dict[str, Any] | None = None
    if args.ablation:
        off = {**env, "RAGTUNE_BEIR_TITLE": "none", "RAGTUNE_BEIR_STEMMER": "none"}
        ablation = optimize(tune, workdir, f"no-titles-no-stem-seed{args.seed}", args.budget, args.seed, off)
        rows.append(
            (
                "(d) same search, titles and stemming off",
                held_out_ndcg(tuned_pipeline(dict(ablation["best"].params), off), held, cache),
            )
        )
        print(
            f"(d): {ablation['trials']} trials ({ablation['pruned']} pruned), best {json.dumps(dict(ablation['best'].params))}"
        )

    print()
    print(f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, load average at the end {os.getloadavg()[0]:.1f}; box shared with parallel work.")  # fmt: skip
    print(f"Command: python benchmarks/beir_quality.py --budget {args.budget:g} --models {args.models} "
          f"--chunk-sizes {args.chunk_sizes}{' --ablation' if args.ablation else ''}")  # fmt: skip
    print()
    print("| config | held-out nDCG@10 |")
    print("|---|---:|")
    for label, value in rows:
        print(f"| {label} | {value:.4f} |")
    print()
    share = run["pruned"] / max(run["trials"], 1)
    print(
        f"- tuned config (tuning-part nDCG@10 {best.values[0]:.4f}): `{json.dumps(dict(best.params), sort_keys=True)}`"
    )
    print(f"- one-time embedding: {embedded_first} texts, {embed_wall:.0f} s wall ({embed_cpu:.0f} s CPU)")
    print(f"- tuning: {run['trials']} trials, {run['pruned']} pruned ({share:.0%}), {run['wall']:.0f} s wall "
          f"({run['cpu']:.0f} s CPU) under --timeout {args.budget:g}")  # fmt: skip
    print(
        f"- embedding + tuning: {tuning_wall:.0f} s wall ({tuning_cpu:.0f} s CPU); texts embedded in all: {embedded_all}"
    )
    if ablation is not None:
        print(f"- (d): {ablation['trials']} trials, {ablation['pruned']} pruned, {ablation['wall']:.0f} s wall "
              f"({ablation['cpu']:.0f} s CPU); config `{json.dumps(dict(ablation['best'].params), sort_keys=True)}`")  # fmt: skip


if __name__ == "__main__":
    main()

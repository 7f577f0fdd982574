"""Issue 6: what the index cache saves. The same trials with and without ``Cache``, side by side.

Each seed runs ``--trials`` trials of the shared RAG space (benchmarks/rag_space.py) twice: first
with ``cache=Cache(fresh temp dir)`` and ``TPESampler(seed=seed)``, then with ``cache=False`` (every
trial chunks, fits, embeds and indexes from scratch) replaying exactly the configs the first run
tried, in the same order (``study.enqueue_trial``). No pruning; objective nDCG@10. Reported: wall and
CPU time of ``optimize()``, stage executions, and texts embedded at index time, counted by wrapping
the embedders' ``embed`` (queries are counted apart: they are the eval questions' texts). The number
of distinct (model, text) pairs is computed independently by re-chunking the configs the trials
tried: TF-IDF + SVD is fitted per (chunking, width), so each such pair is its own model; the ONNX
MiniLM is one model whatever the chunking.

Two variants: ``tfidf`` (TF-IDF + SVD embedders, the whole eval set) and ``onnx`` (the int8 ONNX
all-MiniLM-L6-v2 added to the embedder choices, on the first ``--onnx-max-docs`` documents only,
because embedding the whole corpus once per trial without a cache does not fit a 15-minute run on 2
cores). The sentence-transformers build of the same model is slower on CPU and is left out.

With ``--warm``, each seed also runs a second study (sampler seed + 1000) on the cache folder the
first study filled, next to that study's configs replayed without a cache: what the cache gives a
user who re-runs, widens or continues a search, as opposed to one cold study.

Run: ``python benchmarks/rag_cache.py [--warm]`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from rag_space import (
    ONNX,
    TFIDF_DIMS,
    Bench,
    chunker,
    header,
    limit_threads,
    load_bench,
    markdown_table,
    utc_now,
    warm_up,
    write_section,
)

from ragtune.pipelines import Cache
from ragtune.pipelines.embedders.tfidf_svd import FittedTfidfSvd
from ragtune.pruners import NopPruner
from ragtune.samplers import TPESampler
from ragtune.tuner import Tuner

SECTION = "RAG cache (issue 6)"


@dataclass
class EmbedCounter:
    """Counts texts passed to every embedder's ``embed``; eval-question texts count as queries."""

    questions: frozenset[str]
    index_texts: int = 0
    query_texts: int = 0

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        classes: list[type] = [FittedTfidfSvd]
        with contextlib.suppress(ImportError):
            from ragtune.pipelines.embedders.onnx import OnnxEmbedder

            classes.append(OnnxEmbedder)
        originals = {cls: getattr(cls, "embed") for cls in classes}  # noqa: B009
        counter = self

        def wrap(original: Any) -> Any:
            def embed(self: Any, texts: Any) -> Any:
                texts = list(texts)
                queries = sum(1 for t in texts if t in counter.questions)
                counter.query_texts += queries
                counter.index_texts += len(texts) - queries
                return original(self, texts)

            return embed

        for cls, original in originals.items():
            setattr(cls, "embed", wrap(original))  # noqa: B010
        try:
            yield
        finally:
            for cls, original in originals.items():
                setattr(cls, "embed", original)  # noqa: B010


@dataclass
class Run:
    wall: float
    cpu: float
    configs: list[dict[str, Any]]
    values: list[float | None]
    index_texts: int
    query_texts: int
    index_wall: float
    """Sum over trials of ``build_index`` wall seconds (``user_attrs["index"]["wall_seconds"]``)."""
    stage_builds: dict[str, int] = field(default_factory=dict)
    cache_items: int | None = None
    fits_derived: int = 0
    """TF-IDF fits sliced out of a wider cached fit of the same chunking (not run)."""


def run_once(
    bench: Bench,
    seed: int,
    n_trials: int,
    *,
    replay: list[dict[str, Any]] | None = None,
    cache_root: str | None = None,
) -> Run:
    """With a cache and TPE, or (``replay`` given) without a cache on exactly those configs.

    The cache lives in ``cache_root`` when given (kept: a later study reuses it), else in a fresh
    temp folder removed afterwards.
    """
    cached = replay is None
    root = cache_root or tempfile.mkdtemp(prefix="ragtune-bench-cache-")
    try:
        cache: Cache | bool = Cache(root=root) if cached else False
        tuner = Tuner(
            bench.space.pipeline,
            bench.dataset,
            objectives=["ndcg@10"],
            sampler=TPESampler(seed=seed),
            pruner=NopPruner(),
            seed=seed,
            cache=cache,
            study_name=f"cache-{cached}-{seed}-{os.path.basename(root)}",
        )
        for params in replay or ():
            tuner.study.enqueue_trial(params)
        counter = EmbedCounter(bench.question_texts)
        with counter.installed():
            start, cpu_start = time.perf_counter(), time.process_time()
            study = tuner.optimize(n_trials=n_trials)
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        trials = study.get_trials()
        run = Run(
            wall=wall,
            cpu=cpu,
            configs=[dict(t.params) for t in trials],
            values=[t.values[0] if t.values else None for t in trials],
            index_texts=counter.index_texts,
            query_texts=counter.query_texts,
            index_wall=sum(float(t.user_attrs.get("index", {}).get("wall_seconds") or 0.0) for t in trials),
        )
        if isinstance(cache, Cache):
            counts = cache.counts
            run.stage_builds = {label: c.builds for label, c in sorted(counts.items())}
            run.cache_items = sum(c.items for label, c in counts.items() if label.startswith("embed/"))
            run.fits_derived = sum(c.derived for label, c in counts.items() if label.startswith("fit/"))
        else:
            run.stage_builds = _uncached_builds(run.configs)
        return run
    finally:
        if cache_root is None:
            shutil.rmtree(root, ignore_errors=True)


def _uncached_builds(configs: list[dict[str, Any]]) -> dict[str, int]:
    """Without a cache every trial runs every index-time stage it has."""
    out: dict[str, int] = {"chunks": len(configs), "index": len(configs)}
    dense = [c for c in configs if c["retriever"] != "bm25"]
    out["fit"] = sum(1 for c in dense if c["embedder"] in TFIDF_DIMS)
    out["embed"] = len(dense)
    return out


def distinct_pairs(bench: Bench, configs: list[dict[str, Any]]) -> tuple[int, int, int]:
    """(distinct (model, text) pairs, distinct chunkings with an embedder, distinct models), by re-chunking."""
    texts_by_chunking: dict[tuple[int, float], set[str]] = {}
    models: dict[tuple[Any, ...], set[str]] = {}
    for c in configs:
        if c["retriever"] == "bm25":
            continue
        key = (int(c["chunk_size"]), float(c["overlap"]))
        if key not in texts_by_chunking:
            window = chunker(*key)
            texts_by_chunking[key] = {ch.text for doc in bench.dataset.corpus for ch in window.chunk(doc)}
        model = (ONNX,) if c["embedder"] == ONNX else (c["embedder"], *key)
        models.setdefault(model, set()).update(texts_by_chunking[key])
    return sum(len(t) for t in models.values()), len(texts_by_chunking), len(models)


def _index_config(config: dict[str, Any]) -> tuple[Any, ...]:
    """What decides a trial's index: its chunking, retriever and embedder (not k)."""
    return config["chunk_size"], config["overlap"], config["retriever"], config.get("embedder")


def _index_configs(configs: list[dict[str, Any]]) -> int:
    return len({_index_config(c) for c in configs})


def _builds(run: Run, stage: str) -> int:
    return sum(n for label, n in run.stage_builds.items() if label.split("/")[0] == stage)


def _table_row(seed: int, arm: str, run: Run, pairs: str) -> list[str]:
    """One row of the variant's table (``pairs``: the distinct (model, text) cell, or empty)."""
    best = max(v for v in run.values if v is not None)
    return [
        str(seed),
        arm,
        f"{run.wall:.1f}",
        f"{run.cpu:.1f}",
        f"{run.index_wall:.1f}",
        str(_index_configs(run.configs)),
        str(_builds(run, "chunks")),
        str(_builds(run, "fit")),
        str(_builds(run, "index")),
        f"{run.index_texts:,}",
        f"{run.query_texts:,}",
        pairs,
        f"{best:.4f}",
    ]


WARM_SEED_OFFSET = 1000
"""A second study's sampler seed is the first's plus this (a different search over the same space)."""


def run_warm(bench: Bench, seed: int, n_trials: int, cache_root: str) -> tuple[Run, Run]:
    """A second study (seed + 1000) on the cache the first study left, and its no-cache replay."""
    on = run_once(bench, seed + WARM_SEED_OFFSET, n_trials, cache_root=cache_root)
    off = run_once(bench, seed + WARM_SEED_OFFSET, n_trials, replay=on.configs)
    return on, off


def run_variant(bench: Bench, seeds: list[int], n_trials: int, *, warm: bool) -> tuple[str, list[float]]:
    """Both arms for every seed; the markdown (table and notes) and the wall-time speedups.

    With ``warm``, each seed also runs a second study on the cache the first one filled (what a
    user re-running or widening a search gets), next to that study's configs replayed without a cache.
    """
    rows: list[list[str]] = []
    notes: list[str] = []
    speedups: list[float] = []
    for seed in seeds:
        root = tempfile.mkdtemp(prefix="ragtune-bench-cache-")
        try:
            on = run_once(bench, seed, n_trials, cache_root=root)
            second = run_warm(bench, seed, n_trials, root) if warm else None
        finally:
            shutil.rmtree(root, ignore_errors=True)
        off = run_once(bench, seed, n_trials, replay=on.configs)
        pairs, chunkings, models = distinct_pairs(bench, on.configs)
        differ = sum(1 for a, b in zip(on.values, off.values, strict=True) if a != b)
        share = min(off.index_wall / off.wall, 0.999)
        bound = 1.0 / (1.0 - share)  # Amdahl: only index time can shrink
        # ... and query time only by retrieving each (index config, question) once.
        configs = _index_configs(on.configs)
        query_bound = off.wall / max((off.wall - off.index_wall) * configs / len(on.configs), 1e-9)
        speedups.append(off.wall / on.wall)
        rows.append(_table_row(seed, "no cache", off, ""))
        rows.append(_table_row(seed, "cache", on, f"{pairs:,}"))
        notes.append(
            f"seed {seed}: speedup {off.wall / on.wall:.1f}x wall, {off.cpu / on.cpu:.1f}x CPU; "
            f"{len(on.configs)} trials, {configs} distinct index configs; TF-IDF fits run "
            f"{_builds(on, 'fit')} with the cache ({on.fits_derived} more derived from a wider fit) vs "
            f"{_builds(off, 'fit')} without; "
            f"texts embedded with the cache {on.index_texts:,} (cache counter {on.cache_items:,}) vs "
            f"distinct (model, text) pairs {pairs:,} ({models} models over {chunkings} chunkings): "
            f"{'equal' if on.index_texts == pairs else 'DIFFERENT'}; trials whose nDCG@10 differs "
            f"between the arms: {differ}; index time was {share:.0%} of the no-cache arm's wall time, so "
            f"even a cache that made index time free would give at most {bound:.1f}x, and one that also "
            f"ran each index config's queries only once at most {query_bound:.1f}x; load average "
            f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}"
        )
        print(notes[-1], flush=True)
        if second is not None:
            w_on, w_off = second
            rows.append(_table_row(seed, "second study, no cache", w_off, ""))
            rows.append(_table_row(seed, "second study, warm cache", w_on, ""))
            seen = {_index_config(c) for c in on.configs}
            reused = sum(1 for c in w_on.configs if _index_config(c) in seen)
            notes.append(
                f"seed {seed}, second study (sampler seed {seed + WARM_SEED_OFFSET}, the first study's "
                f"cache folder): {w_off.wall / w_on.wall:.1f}x wall, {w_off.cpu / w_on.cpu:.1f}x CPU "
                f"against its configs replayed without a cache; {reused} of its {len(w_on.configs)} "
                f"trials used an index configuration the first study had built"
            )
            print(notes[-1], flush=True)
    table = markdown_table(
        [
            "seed",
            "arm",
            "wall s",
            "CPU s",
            "index-time wall s",
            "index configs",
            "chunkings run",
            "TF-IDF fits run",
            "indexes built",
            "texts embedded (index)",
            "query texts embedded",
            "distinct (model, text)",
            "best nDCG@10",
        ],
        rows,
    )
    return table + "\n\n" + "\n".join(f"- {n}" for n in notes), speedups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=1, help="seeds 0..N-1; each runs both arms")
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--variants", default="tfidf,onnx", help="comma-separated: tfidf, onnx")
    parser.add_argument("--onnx-max-docs", type=int, default=20, help="documents kept for the onnx variant")
    parser.add_argument("--dataset", default=None, help="BEIR folder (default: built-in python-docs)")
    parser.add_argument("--max-questions", type=int, default=None)
    parser.add_argument(
        "--quick", action="store_true", help="tiny spaces, 6 trials, 40 questions: a smoke run"
    )
    parser.add_argument("--no-write", action="store_true", help="print only (--quick never writes)")
    parser.add_argument(
        "--warm",
        action="store_true",
        help="also run a second study per seed on the cache the first left (and its no-cache replay)",
    )
    args = parser.parse_args()
    started = utc_now()
    limit_threads()
    variants = args.variants.split(",")
    if not variants or any(v not in ("tfidf", "onnx") for v in variants):
        parser.error(f"--variants must be a comma-separated subset of tfidf,onnx, but got {args.variants!r}")
    n_trials = 6 if args.quick else args.trials
    seeds = list(range(1 if args.quick else args.seeds))
    max_questions = 40 if args.quick else args.max_questions

    parts = [header(started)]
    verdicts = []
    for variant in variants:
        max_docs = (5 if args.quick else args.onnx_max_docs) if variant == "onnx" else None
        bench = load_bench(args.dataset, max_docs=max_docs, max_questions=max_questions)
        if variant == "onnx":
            bench = replace(bench, space=bench.space.with_onnx())
        if args.quick:
            small = replace(bench.space, chunk_sizes=(1024, 2048), overlaps=(0.0,), ks=(5, 10))
            bench = replace(bench, space=small)
        warm_up(bench)
        text, speedups = run_variant(bench, seeds, n_trials, warm=args.warm)
        parts += [
            f"### Variant `{variant}`",
            f"Eval set: {bench.label}. Space: {bench.space.describe()}. {n_trials} trials per arm; the "
            "cache arm runs `TPESampler(seed=seed)` from an empty temp folder, the no-cache arm replays its "
            "configs; `NopPruner()`, objective nDCG@10, in-memory storage."
            + (
                f" Second study (`--warm`): `TPESampler(seed=seed + {WARM_SEED_OFFSET})` on the cache folder "
                "the first study left, and its configs replayed without a cache."
                if args.warm
                else ""
            ),
            text,
        ]
        verdicts.append(
            f"`{variant}`: {', '.join(f'{s:.1f}x' for s in speedups)} less wall time with the cache: "
            f"target >= 5x {'met' if min(speedups) >= 5 else 'not met'}"
        )
    parts.append("Verdict:\n\n" + "\n".join(f"- {v}" for v in verdicts))
    body = "\n\n".join(parts)
    print(body)
    if not (args.quick or args.no_write):
        print(f"\nwrote section {SECTION!r} of {write_section(SECTION, body)}")


if __name__ == "__main__":
    main()

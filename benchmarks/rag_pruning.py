"""Issue 7: what pruning on partial eval sets saves on a real RAG tuning run, and what it costs.

On an eval set (default the built-in python-docs), each seed runs ``--trials`` trials of the shared
RAG space (benchmarks/rag_space.py) with ``TPESampler(seed=seed)`` under each pruner:

* one objective (nDCG@10): no pruning, ``MedianPruner()``, and ASHA as the Tuner picks it by
  default (``SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)``);
* three objectives (nDCG@10, latency p95 ms, safety pass rate, with a prompt-injection + PII guard on
  the retrieved context): no pruning and ``ParetoPruner()`` (the Tuner's multi-objective default).

The evaluator asks the questions in rungs of 1/9, 1/3 and all of them. Reported per pruner: questions
evaluated (the sum of ``trial_results(t).questions_evaluated``), the share saved against no pruning, the
best full-set nDCG@10 of COMPLETE trials (one objective) or the hypervolume of the COMPLETE trials'
front (three objectives), trials pruned, wall and CPU seconds. Every index (chunks, TF-IDF fit,
vectors, BM25/dense/hybrid index) of the space is built into one disk cache before the timed runs,
and each run opens that cache with a fresh ``Cache`` object (empty in-memory memo), so no run pays
for index builds another run did not, and wall time measures query-time work (which pruning saves)
plus the optimiser's overhead.

Optional arms (``--arms none-mo-mean,pareto-mean``) repeat the three-objective pair with mean latency
instead of p95: mean latency is a per-question score, so the Pareto pruner's paired test covers
every objective.

Run: ``python benchmarks/rag_pruning.py --seeds 3`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from rag_space import (
    Bench,
    header,
    limit_threads,
    load_bench,
    markdown_table,
    utc_now,
    warm_up,
    write_section,
)

from ragtune.core.directions import StudyDirection, to_loss
from ragtune.core.hypervolume import hypervolume
from ragtune.core.trial_state import TrialState
from ragtune.objectives import trial_results
from ragtune.pipelines import Cache
from ragtune.pruners import MedianPruner, NopPruner, Pruner
from ragtune.samplers import TPESampler
from ragtune.tuner import Tuner

SECTION = "RAG pruning (issue 7)"
SINGLE = ("ndcg@10",)
MULTI = ("ndcg@10", "latency_p95_ms", "safety_pass_rate")
#: The same with mean latency, a per-question objective: the Pareto pruner gets per-question score
#: rows for every objective (a p95 has none), so its paired test applies.
MULTI_MEAN = ("ndcg@10", "latency_mean_ms", "safety_pass_rate")
#: Hypervolume reference point in losses (-nDCG@10, latency ms, -safety pass rate): a front point
#: counts with (nDCG - 0) x (LATENCY_REF - latency) x (pass rate - 0).
LATENCY_REF_MS = 100.0
#: Opened indexes (with their per-question retrieval results) a run keeps in memory: more than the
#: space has, so a run retrieves each question at most once per index config it visits.
MEMO_SIZE = 128


@dataclass(frozen=True)
class Arm:
    objectives: tuple[str, ...]
    make_pruner: Callable[[], Pruner | None]
    """None leaves the choice to the Tuner, as a user who passes no pruner gets it."""
    label: str
    baseline: bool = False
    """The no-pruning arm the others of its objective set are compared with."""


ARMS: dict[str, Arm] = {
    "none": Arm(SINGLE, NopPruner, "none", baseline=True),
    "median": Arm(SINGLE, MedianPruner, "MedianPruner()"),
    "asha": Arm(SINGLE, lambda: None, "ASHA (Tuner default)"),
    "none-mo": Arm(MULTI, NopPruner, "none", baseline=True),
    "pareto": Arm(MULTI, lambda: None, "ParetoPruner (Tuner default)"),
    "none-mo-mean": Arm(MULTI_MEAN, NopPruner, "none", baseline=True),
    "pareto-mean": Arm(MULTI_MEAN, lambda: None, "ParetoPruner (Tuner default)"),
}
DEFAULT_ARMS = ("none", "median", "asha", "none-mo", "pareto")
GROUP_TITLES = {
    SINGLE: "One objective (nDCG@10)",
    MULTI: "Three objectives (nDCG@10 max, latency p95 ms min, safety pass rate max)",
    MULTI_MEAN: "Three objectives with mean latency (nDCG@10 max, latency mean ms min, safety pass rate max)",
}


@dataclass
class Result:
    questions: int
    trials: int
    pruned: int
    best: float
    """Best nDCG@10 (one objective) or front hypervolume (three)."""
    front: int
    wall: float
    cpu: float
    pruner: str


def warm_cache(bench: Bench, root: str) -> tuple[int, float]:
    """Build every index of the space into the disk cache at ``root``; returns (indexes, seconds)."""
    cache = Cache(root=root)
    start = time.perf_counter()
    n = 0
    for size, overlap, kind, embedder in bench.space.index_configs():
        bench.space.build(size, overlap, kind, embedder, 1).build_index(bench.dataset.corpus, cache=cache)
        n += 1
    return n, time.perf_counter() - start


def run_arm(bench: Bench, arm: str, seed: int, n_trials: int, root: str) -> Result:
    objectives, make_pruner = list(ARMS[arm].objectives), ARMS[arm].make_pruner
    multi = len(objectives) > 1
    space = replace(bench.space, guard=multi)
    tuner = Tuner(
        space.pipeline,
        bench.dataset,
        objectives=objectives,
        sampler=TPESampler(seed=seed),
        pruner=make_pruner(),
        seed=seed,
        # Retrievals stay in this run's memory: arms compare query work, so none inherits another's.
        cache=Cache(root=root, memo_size=MEMO_SIZE, persist_retrievals=False),
        study_name=f"{arm}-{seed}",
    )
    start, cpu_start = time.perf_counter(), time.process_time()
    study = tuner.optimize(n_trials=n_trials)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    trials = study.get_trials()
    complete = [t for t in trials if t.state == TrialState.COMPLETE and t.values is not None]
    if multi:
        values = np.array([t.values for t in complete], dtype=float)
        losses = to_loss(values, [StudyDirection(d) for d in ("maximize", "minimize", "maximize")])
        best, front = hypervolume(losses, [0.0, LATENCY_REF_MS, 0.0]), len(study.best_trials)
    else:
        best, front = max(t.values[0] for t in complete if t.values), 1
    return Result(
        questions=sum(trial_results(t).questions_evaluated for t in trials),
        trials=len(trials),
        pruned=sum(1 for t in trials if t.state == TrialState.PRUNED),
        best=best,
        front=front,
        wall=wall,
        cpu=cpu,
        pruner=repr(study.pruner),
    )


def summary(
    results: dict[str, dict[int, Result]], seeds: list[int], n_questions: int, n_trials: int
) -> tuple[list[tuple[tuple[str, ...], str]], list[str]]:
    """One table per objective set (arms compared with that set's no-pruning arm), and the verdicts."""
    tables = []
    verdicts = []
    groups = list(dict.fromkeys(ARMS[a].objectives for a in results))
    for objectives in groups:
        multi = len(objectives) > 1
        arms = [a for a in results if ARMS[a].objectives == objectives]
        base = results[next(a for a in arms if ARMS[a].baseline)]
        rows = []
        for arm in arms:
            per_seed = results[arm]
            saved = [1 - per_seed[s].questions / base[s].questions for s in seeds]
            ratio = [per_seed[s].best / base[s].best for s in seeds]
            rows.append(
                [
                    ARMS[arm].label,
                    f"{statistics.mean(r.questions for r in per_seed.values()):,.0f} of {n_trials * n_questions:,}",
                    f"{statistics.mean(saved):.0%} ({min(saved):.0%} to {max(saved):.0%})",
                    f"{statistics.mean(r.best for r in per_seed.values()):.4f}",
                    f"{statistics.mean(ratio):.4f} (min {min(ratio):.4f})",
                    *([f"{statistics.mean(r.front for r in per_seed.values()):.1f}"] if multi else []),
                    f"{statistics.mean(r.pruned for r in per_seed.values()):.1f}",
                    f"{statistics.mean(r.wall for r in per_seed.values()):.1f}",
                    f"{statistics.mean(r.cpu for r in per_seed.values()):.1f}",
                ]
            )
            if not ARMS[arm].baseline:
                ok = statistics.mean(saved) >= 0.5 and min(ratio) >= 0.99
                verdicts.append(
                    f"{ARMS[arm].label}, {', '.join(objectives)}: {statistics.mean(saved):.0%} of question "
                    f"evaluations saved (mean over seeds), best {'hypervolume' if multi else 'nDCG@10'} at "
                    f"worst {min(ratio):.2%} of no pruning's: target {'met' if ok else 'not met'}"
                )
        best_name = "front hypervolume" if multi else "best nDCG@10"
        head = [
            "pruner",
            "questions evaluated (mean)",
            "saved vs none (mean, range)",
            f"{best_name} (mean)",
            f"{best_name} / none's (mean, min)",
        ]
        head += (["front size"] if multi else []) + ["trials pruned", "wall s", "CPU s"]
        tables.append((objectives, markdown_table(head, rows)))
    return tables, verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument(
        "--arms", default=",".join(DEFAULT_ARMS), help=f"comma-separated subset of {list(ARMS)}"
    )
    parser.add_argument("--dataset", default=None, help="BEIR folder (default: built-in python-docs)")
    parser.add_argument("--max-questions", type=int, default=None)
    parser.add_argument("--cache-dir", default=None, help="reuse this index cache (default: a temp folder)")
    parser.add_argument(
        "--quick", action="store_true", help="tiny space, 10 trials, 45 questions: a smoke run"
    )
    parser.add_argument("--no-write", action="store_true", help="print only (--quick never writes)")
    args = parser.parse_args()
    started = utc_now()
    limit_threads()
    arms = args.arms.split(",")
    unknown = [a for a in arms if a not in ARMS]
    if unknown:
        parser.error(f"--arms must be names from {list(ARMS)}, but got {unknown}")
    for objectives in {ARMS[a].objectives for a in arms}:
        if not any(ARMS[a].baseline and ARMS[a].objectives == objectives for a in arms):
            base = next(k for k, v in ARMS.items() if v.baseline and v.objectives == objectives)
            parser.error(f"--arms: arms for {list(objectives)} need their no-pruning arm {base!r}")

    bench = load_bench(args.dataset, max_questions=45 if args.quick else args.max_questions)
    if args.quick:
        bench = replace(
            bench, space=replace(bench.space, chunk_sizes=(1024, 2048), overlaps=(0.0,), ks=(1, 10))
        )
    n_trials = 10 if args.quick else args.trials
    seeds = list(range(1 if args.quick else args.seeds))
    root = args.cache_dir or tempfile.mkdtemp(prefix="ragtune-bench-pruning-")
    try:
        warm_up(bench)
        n_indexes, warm_seconds = warm_cache(bench, root)
        print(f"warm-up: {n_indexes} indexes in {warm_seconds:.0f} s", flush=True)
        results: dict[str, dict[int, Result]] = {arm: {} for arm in arms}
        for seed in seeds:
            for arm in arms:
                r = run_arm(bench, arm, seed, n_trials, root)
                results[arm][seed] = r
                print(f"seed {seed} {arm}: {r}", flush=True)
    finally:
        if args.cache_dir is None:
            shutil.rmtree(root, ignore_errors=True)

    n_questions = len(bench.dataset.questions)
    pruners = "; ".join(
        dict.fromkeys(
            f"{ARMS[a].label}: `{results[a][seeds[0]].pruner}`" for a in arms if not ARMS[a].baseline
        )
    )
    tables, verdicts = summary(results, seeds, n_questions, n_trials)
    hv_note = (
        "Three objectives run with a prompt-injection + PII guard on the context. Hypervolume of the COMPLETE "
        f"trials' values in losses (-nDCG@10, latency ms, -pass rate), reference point (0, {LATENCY_REF_MS:g} "
        "ms, 0)."
    )
    body = "\n\n".join(
        [
            header(started),
            f"Eval set: {bench.label}, rungs at 1/9, 1/3 and all questions. Space: {bench.space.describe()}. "
            f"{n_trials} trials per run, `TPESampler(seed=seed)`, seeds {seeds[0]}..{seeds[-1]}. Every index of "
            f"the space was built into one disk cache first ({n_indexes} indexes, {warm_seconds:.0f} s, not "
            f"counted below); each run opens it with a fresh `Cache(memo_size={MEMO_SIZE})`, which keeps "
            "every opened index and its retrievals in memory for the rest of the run.",
            f"Pruners as constructed: {pruners}.",
            *(f"{GROUP_TITLES[objectives]}:\n\n{table}" for objectives, table in tables),
            *([hv_note] if any(len(o) > 1 for o, _ in tables) else []),
            "Targets (>= 50% of question evaluations saved, best value within 1% of no pruning):\n\n"
            + "\n".join(f"- {v}" for v in verdicts),
        ]
    )
    print(body)
    if not (args.quick or args.no_write):
        print(f"\nwrote section {SECTION!r} of {write_section(SECTION, body)}")


if __name__ == "__main__":
    main()

"""Issue 8: ragtune against a plain Optuna loop over the same RAG stages, time to a good config.

Per seed, two drivers tune the shared RAG space (benchmarks/rag_space.py) for nDCG@10 on the same
eval set, each until ``--trials`` trials ran or ``--budget`` seconds passed:

* **ragtune**: ``Tuner(space.pipeline, dataset, objectives=["ndcg@10"], seed=seed, cache=Cache(fresh
  temp dir))`` with its defaults (TPE, ASHA over rungs of 1/9, 1/3 and all questions);
* **optuna**: ``optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))`` with an objective
  that builds the same ragtune ``Pipeline`` from the same pipeline function, builds its index fresh
  (no cache) and scores every question (``Evaluator(..., cache=None).evaluate(pipeline)``), no
  pruning.

Reported: the best full-set nDCG@10 each finds (COMPLETE trials only), and the wall time (and CPU
time) from the start of ``optimize()`` until each first completes a trial scoring at least 99% of
the best value either driver found in that seed. A driver that never gets there is censored at its
run's end, and its speedup is then a lower bound (">").

Run: ``python benchmarks/rag_end_to_end.py`` on python-docs and
``python benchmarks/rag_end_to_end.py --dataset /work/shared/data/scifact-train`` on SciFact
(``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import math
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass, field, replace
from typing import Any

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

from ragtune.core.trial_state import TrialState
from ragtune.objectives.evaluator import Evaluator
from ragtune.pipelines import Cache
from ragtune.tuner import Tuner

SECTION = "End to end (issue 8)"
TARGET = 0.99


@dataclass
class Trace:
    """Completed trials in order: (wall s, CPU s, nDCG@10) since optimize() started."""

    points: list[tuple[float, float, float]] = field(default_factory=list)
    trials: int = 0
    pruned: int = 0
    wall: float = 0.0
    cpu: float = 0.0

    @property
    def best(self) -> float:
        return max((v for _, _, v in self.points), default=math.nan)

    def reach(self, threshold: float) -> tuple[float, float] | None:
        """(wall, CPU) seconds at the first completion scoring >= threshold, or None."""
        for wall, cpu, value in self.points:
            if value >= threshold:
                return wall, cpu
        return None


class _Clock:
    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def now(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def run_ragtune(bench: Bench, seed: int, n_trials: int, budget: float) -> Trace:
    root = tempfile.mkdtemp(prefix="ragtune-bench-e2e-")
    try:
        tuner = Tuner(
            bench.space.pipeline,
            bench.dataset,
            objectives=["ndcg@10"],
            seed=seed,
            cache=Cache(root=root),
            study_name=f"e2e-{seed}",
        )
        trace = Trace()
        clock = _Clock()

        def record(_study: Any, trial: Any) -> None:
            if trial.state == TrialState.COMPLETE and trial.values:
                trace.points.append((*clock.now(), float(trial.values[0])))

        study = tuner.optimize(n_trials=n_trials, timeout=budget, callbacks=[record])
        trace.wall, trace.cpu = clock.now()
        trials = study.get_trials()
        trace.trials = len(trials)
        trace.pruned = sum(1 for t in trials if t.state == TrialState.PRUNED)
        return trace
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run_optuna(bench: Bench, seed: int, n_trials: int, budget: float) -> Trace:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    evaluator = Evaluator(bench.dataset, ["ndcg@10"], seed=seed, cache=None)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    trace = Trace()

    def objective(trial: optuna.Trial) -> float:
        pipeline = bench.space.pipeline(trial)
        return float(evaluator.evaluate(pipeline).values["ndcg@10"])

    clock = _Clock()

    def record(_study: Any, trial: optuna.trial.FrozenTrial) -> None:
        if trial.state == optuna.trial.TrialState.COMPLETE and trial.value is not None:
            trace.points.append((*clock.now(), float(trial.value)))

    study.optimize(objective, n_trials=n_trials, timeout=budget, callbacks=[record])
    trace.wall, trace.cpu = clock.now()
    trace.trials = len(study.trials)
    return trace


def _fmt_speedup(speedup: float, censored: bool) -> str:
    return f"{'>' if censored else ''}{speedup:.1f}x"


def _fmt_reach(hit: tuple[float, float] | None, trace: Trace) -> str:
    return f"{hit[0]:.0f} ({hit[1]:.0f})" if hit else f"not reached (> {trace.wall:.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--trials", type=int, default=100, help="most trials per run")
    parser.add_argument(
        "--budget", type=float, default=150.0, help="most seconds per run (no new trial after)"
    )
    parser.add_argument("--dataset", default=None, help="BEIR folder (default: built-in python-docs)")
    parser.add_argument("--max-docs", type=int, default=None, help="keep the first N documents")
    parser.add_argument("--max-questions", type=int, default=None)
    parser.add_argument("--onnx", action="store_true", help="add the int8 ONNX MiniLM embedder")
    parser.add_argument(
        "--quick", action="store_true", help="tiny space, 8 trials, 40 questions: a smoke run"
    )
    parser.add_argument("--no-write", action="store_true", help="print only (--quick never writes)")
    args = parser.parse_args()
    started = utc_now()
    limit_threads()

    bench = load_bench(
        args.dataset, max_docs=args.max_docs, max_questions=40 if args.quick else args.max_questions
    )
    if args.quick:
        bench = replace(
            bench, space=replace(bench.space, chunk_sizes=bench.space.chunk_sizes[-2:], overlaps=(0.0,))
        )
    if args.onnx:
        bench = replace(bench, space=bench.space.with_onnx())
    n_trials, budget = (8, 15.0) if args.quick else (args.trials, args.budget)
    seeds = list(range(1 if args.quick else args.seeds))
    warm_up(bench)

    rows: list[list[str]] = []
    speedups: list[tuple[float, bool]] = []
    cpu_speedups: list[tuple[float, bool]] = []
    for seed in seeds:
        order = ["ragtune", "optuna"] if seed % 2 == 0 else ["optuna", "ragtune"]
        traces = {}
        for driver in order:
            run = run_ragtune if driver == "ragtune" else run_optuna
            traces[driver] = run(bench, seed, n_trials, budget)
            t = traces[driver]
            print(f"seed {seed} {driver}: {t.trials} trials, best {t.best:.4f}, {t.wall:.0f} s", flush=True)
        best = max(t.best for t in traces.values())
        hits = {d: t.reach(TARGET * best) for d, t in traces.items()}
        r_hit, o_hit = hits["ragtune"], hits["optuna"]
        if r_hit is not None:
            o_wall = o_hit[0] if o_hit else traces["optuna"].wall
            o_cpu = o_hit[1] if o_hit else traces["optuna"].cpu
            speedups.append((o_wall / max(r_hit[0], 1e-9), o_hit is None))
            cpu_speedups.append((o_cpu / max(r_hit[1], 1e-9), o_hit is None))
        for driver in ("ragtune", "optuna"):
            t = traces[driver]
            speed = ""
            if driver == "ragtune" and r_hit is not None:
                speed = f"{_fmt_speedup(*speedups[-1])} ({_fmt_speedup(*cpu_speedups[-1])})"
            elif driver == "ragtune":
                speed = "ragtune did not reach it"
            rows.append(
                [
                    str(seed),
                    driver,
                    f"{t.trials} ({t.pruned} pruned)" if driver == "ragtune" else str(t.trials),
                    f"{t.best:.4f}",
                    f"{TARGET * best:.4f}",
                    _fmt_reach(hits[driver], t),
                    f"{t.wall:.0f} ({t.cpu:.0f})",
                    speed,
                ]
            )

    table = markdown_table(
        [
            "seed",
            "driver",
            "trials",
            "best nDCG@10",
            "99% of best either",
            "wall (CPU) s to reach it",
            "wall (CPU) s of the run",
            "speedup to 99%, wall (CPU)",
        ],
        rows,
    )
    if speedups:
        geo = math.exp(statistics.mean(math.log(s) for s, _ in speedups))
        cpu_geo = math.exp(statistics.mean(math.log(s) for s, _ in cpu_speedups))
        censored = any(c for _, c in speedups)
        verdict = (
            f"Speedup of ragtune to 99% of the best (optuna time / ragtune time), geometric mean over "
            f"{len(speedups)} of {len(seeds)} seeds: {'>= ' if censored else ''}{geo:.1f}x wall, "
            f"{'>= ' if censored else ''}{cpu_geo:.1f}x CPU; per seed "
            f"{', '.join(_fmt_speedup(s, c) for s, c in speedups)}. "
            f"Target >= 5x: {'met' if geo >= 5 and min(s for s, _ in speedups) >= 1 else 'not met'}."
        )
    else:
        verdict = "ragtune reached 99% of the best in no seed: target not met."
    name = bench.label.split(" ")[0]
    body = "\n\n".join(
        [
            header(started),
            f"Eval set: {bench.label}. Space: {bench.space.describe()}. Each run stops after {n_trials} trials "
            f"or {budget:g} s (a running trial finishes). Times are from the start of `optimize()`; wall, "
            "with CPU seconds of the process in parentheses.",
            table,
            verdict,
        ]
    )
    print(body)
    if not (args.quick or args.no_write):
        print(f"\nwrote section {SECTION!r} / {name!r} of {write_section(SECTION, body, subsection=name)}")


if __name__ == "__main__":
    main()

"""Pruners side by side on problems with a known ground truth (results in docs/benchmarks.md).

Part 1, single objective: learning curves ``f(step) = final(x) * (1 - exp(-step / tau(x))) + noise``
reported at every step 1..100, where ``final`` (maximised) and ``tau`` are known functions of the
two parameters; slow learners make early ranks misleading. Every pruner sees the same configs and
the same noise (seeded RandomSampler, noise seeded by seed and trial number), so "best final value"
differences come from pruning alone.

Part 2, several objectives: a RAG-shaped evaluation. A config answers 90 questions in a fixed order;
per-question scores are drawn from known per-config means (quality and safety are Bernoulli with a
per-question difficulty shared by all configs, latency is log-normal); the evaluator reports the
running means with the per-question scores at rungs 10, 30, 90 (1/9, 1/3, all). The "true front" is
the Pareto front of every config's full-set vector (computed for pruned configs too).

Run: ``python benchmarks/pruning.py --seeds 10`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import ragtune as rt
from ragtune.core.directions import to_loss
from ragtune.core.hypervolume import hypervolume
from ragtune.core.pareto import is_pareto_front
from ragtune.pruners import (
    HyperbandPruner,
    MedianPruner,
    NopPruner,
    ParetoPruner,
    Pruner,
    SuccessiveHalvingPruner,
)
from ragtune.samplers import RandomSampler

MAX_STEP = 100
N_QUESTIONS = 90
RUNGS = (10, 30, 90)


# -- part 1: learning curves ------------------------------------------------------------------
def final_value(x1: float, x2: float) -> float:
    """Known final accuracy: best 0.9 at (0.7, 0.3)."""
    return 0.9 - 0.5 * ((x1 - 0.7) ** 2 + (x2 - 0.3) ** 2)


def time_constant(x1: float, x2: float, *, crossing: bool) -> float:
    """Steps to reach 63% of the final value: 10 for all, or (crossing curves) 3 + 22 * x2, so
    fast learners lead early and the best config (x2 = 0.3, tau = 9.6) trails them."""
    return 3.0 + 22.0 * x2 if crossing else 10.0


@dataclass
class CurveResult:
    steps: int
    best: float
    best_true: float
    seconds: float


def run_curves(pruner: Pruner, seed: int, n_trials: int, *, crossing: bool) -> CurveResult:
    study = rt.create_study(direction="maximize", sampler=RandomSampler(seed=seed), pruner=pruner)
    spent = 0

    def objective(trial: rt.Trial) -> float:
        nonlocal spent
        x1 = trial.suggest_float("x1", 0.0, 1.0)
        x2 = trial.suggest_float("x2", 0.0, 1.0)
        final, tau = final_value(x1, x2), time_constant(x1, x2, crossing=crossing)
        noise = np.random.default_rng([seed, trial.number]).normal(0.0, 0.01, size=MAX_STEP)
        value = 0.0
        for step in range(1, MAX_STEP + 1):
            value = final * (1.0 - math.exp(-step / tau)) + float(noise[step - 1])
            spent += 1
            trial.report(value, step)
            if trial.should_prune():
                raise rt.TrialPruned()
        return value

    t0 = time.perf_counter()
    study.optimize(objective, n_trials=n_trials)
    best = study.best_trial
    return CurveResult(
        spent,
        study.best_value,
        final_value(best.params["x1"], best.params["x2"]),
        time.perf_counter() - t0,
    )


CURVE_PRUNERS: dict[str, Callable[[], Pruner]] = {
    "none": NopPruner,
    "median (warm-up 10)": lambda: MedianPruner(n_startup_trials=5, n_warmup_steps=10),
    "ASHA r=1 eta=3": lambda: SuccessiveHalvingPruner(
        min_resource=1, reduction_factor=3, max_resource=MAX_STEP
    ),
    "ASHA r=auto eta=3": lambda: SuccessiveHalvingPruner(min_resource="auto", max_resource=MAX_STEP),
    "Hyperband r=1 eta=3": lambda: HyperbandPruner(min_resource=1, max_resource=MAX_STEP, reduction_factor=3),
    "Hyperband r=4 eta=3": lambda: HyperbandPruner(min_resource=4, max_resource=MAX_STEP, reduction_factor=3),
}


# -- part 2: RAG-shaped multi-objective evaluation ---------------------------------------------
def true_means(x: tuple[float, float, float], n_objectives: int) -> np.ndarray:
    """Per-config full-set means: quality (max), latency ms (min) and, with 3, safety (max).

    Retrieval depth trades quality for latency; chunk size has one best region (quality peaks at
    0.5, latency is lowest at 0.3); the filter only costs with two objectives and buys safety
    with three. So most configs are dominated, as in a real search space.
    """
    size, depth, filt = x
    quality = 0.3 + 0.55 * math.sqrt(depth) - 0.9 * (size - 0.5) ** 2
    latency = 40.0 + 160.0 * depth + 80.0 * abs(size - 0.3)
    if n_objectives == 2:
        return np.array([quality - 0.15 * filt, latency + 20.0 * filt])
    safety = 0.98 - 0.35 * (1.0 - filt) * (1.0 - 0.5 * depth)
    return np.array([quality - 0.1 * filt, latency + 20.0 * filt, safety])


def directions_for(n_objectives: int) -> list[str]:
    return ["maximize", "minimize", "maximize"][:n_objectives]


def question_scores(x: tuple[float, float, float], n_objectives: int, seed: int, number: int) -> np.ndarray:
    """Scores of one config on all questions, shape (N_QUESTIONS, n_objectives)."""
    shared = np.random.default_rng([seed, 10**6])  # question difficulty: the same for every config
    difficulty = shared.normal(0.0, 1.0, size=N_QUESTIONS)
    rng = np.random.default_rng([seed, number])
    means = true_means(x, n_objectives)
    q = np.clip(means[0], 0.01, 0.99)
    p = 1.0 / (1.0 + np.exp(-(math.log(q / (1.0 - q)) - difficulty)))
    cols = [(rng.random(N_QUESTIONS) < p).astype(float), means[1] * rng.lognormal(-0.02, 0.2, N_QUESTIONS)]
    if n_objectives == 3:
        cols.append((rng.random(N_QUESTIONS) < np.clip(means[2], 0.0, 1.0)).astype(float))
    return np.column_stack(cols)


@dataclass
class FrontResult:
    steps: int
    hv: float
    front_pruned: int
    front_size: int
    seconds: float


def run_front(
    pruner: Pruner, seed: int, n_trials: int, n_objectives: int, *, with_scores: bool
) -> FrontResult:
    dirs = directions_for(n_objectives)
    study = rt.create_study(directions=dirs, sampler=RandomSampler(seed=seed), pruner=pruner)
    spent = 0
    full_sets: dict[int, np.ndarray] = {}

    def objective(trial: rt.Trial) -> list[float]:
        nonlocal spent
        x = (
            trial.suggest_float("size", 0.0, 1.0),
            trial.suggest_float("depth", 0.0, 1.0),
            trial.suggest_float("filter", 0.0, 1.0),
        )
        scores = question_scores(x, n_objectives, seed, trial.number)
        full_sets[trial.number] = scores.mean(axis=0)
        done = 0
        for rung in RUNGS:
            spent += rung - done
            done = rung
            seen = scores[:rung]
            trial.report(seen.mean(axis=0).tolist(), rung, scores=seen.tolist() if with_scores else None)
            if trial.should_prune():
                raise rt.TrialPruned()
        return [float(v) for v in scores.mean(axis=0)]

    t0 = time.perf_counter()
    study.optimize(objective, n_trials=n_trials)
    numbers = sorted(full_sets)
    all_losses = to_loss(np.array([full_sets[n] for n in numbers]), study.directions)
    on_front = {n for n, keep in zip(numbers, is_pareto_front(all_losses), strict=True) if keep}
    states = {t.number: t.state for t in study.trials}
    done_losses = to_loss(
        np.array([t.values for t in study.trials if t.state is rt.TrialState.COMPLETE]), study.directions
    )
    return FrontResult(
        spent,
        hypervolume(done_losses, reference(n_objectives)),
        sum(1 for n in on_front if states[n] is rt.TrialState.PRUNED),
        len(on_front),
        time.perf_counter() - t0,
    )


def reference(n_objectives: int) -> np.ndarray:
    """Hypervolume reference in losses: quality 0, latency 300 ms, safety 0."""
    return np.array([0.0, 300.0, 0.0][:n_objectives])


FRONT_PRUNERS: dict[str, tuple[Callable[[], Pruner], bool]] = {
    "none": (NopPruner, True),
    "Pareto paired (default)": (lambda: ParetoPruner(rungs=RUNGS[:-1]), True),
    "Pareto pessimistic": (lambda: ParetoPruner(rungs=RUNGS[:-1], method="pessimistic"), True),
    "Pareto point": (lambda: ParetoPruner(rungs=RUNGS[:-1], method="point"), True),
    "Pareto paired, no scores reported": (lambda: ParetoPruner(rungs=RUNGS[:-1]), False),
    "ASHA on quality only": (lambda: SuccessiveHalvingPruner(min_resource="auto", max_resource=90), True),
}


# -- reporting ---------------------------------------------------------------------------------
def _median(xs: list[float]) -> float:
    return float(statistics.median(xs))


def curves_table(seeds: list[int], n_trials: int, *, crossing: bool) -> str:
    base = {s: run_curves(NopPruner(), s, n_trials, crossing=crossing) for s in seeds}
    lines = [
        "| pruner | steps (median) | steps saved | best final value (median) | vs none | "
        "worst seed vs none | true final of best (median) | s/run |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, make in CURVE_PRUNERS.items():
        res = (
            base if name == "none" else {s: run_curves(make(), s, n_trials, crossing=crossing) for s in seeds}
        )
        steps = _median([res[s].steps for s in seeds])
        best = _median([res[s].best for s in seeds])
        base_best = _median([base[s].best for s in seeds])
        rel = [res[s].best / base[s].best - 1.0 for s in seeds]
        lines.append(
            f"| {name} | {steps:.0f} | {1 - steps / _median([base[s].steps for s in seeds]):.1%} | {best:.4f} | "
            f"{best / base_best - 1:+.2%} | {min(rel):+.2%} | {_median([res[s].best_true for s in seeds]):.4f} | "
            f"{_median([res[s].seconds for s in seeds]):.2f} |"
        )
    return "\n".join(lines)


def front_table(seeds: list[int], n_trials: int, n_objectives: int) -> str:
    none_make, _ = FRONT_PRUNERS["none"]
    base = {s: run_front(none_make(), s, n_trials, n_objectives, with_scores=True) for s in seeds}
    lines = [
        "| pruner | questions (median) | saved | HV / HV(none) median | worst seed | "
        "true-front trials pruned (all seeds) | s/run |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, (make, with_scores) in FRONT_PRUNERS.items():
        res = (
            base
            if name == "none"
            else {s: run_front(make(), s, n_trials, n_objectives, with_scores=with_scores) for s in seeds}
        )
        steps = _median([res[s].steps for s in seeds])
        ratio = [res[s].hv / base[s].hv for s in seeds]
        pruned = sum(res[s].front_pruned for s in seeds)
        size = sum(res[s].front_size for s in seeds)
        lines.append(
            f"| {name} | {steps:.0f} | {1 - steps / _median([base[s].steps for s in seeds]):.1%} | "
            f"{_median(ratio):.4f} | {min(ratio):.4f} | {pruned} / {size} | {_median([res[s].seconds for s in seeds]):.2f} |"
        )
    return "\n".join(lines)


def confidence_table(seeds: list[int], n_trials: int) -> str:
    lines = [
        "| objectives | confidence | questions saved | HV / HV(none) median | worst seed | true-front trials pruned |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for m in (2, 3):
        base = {s: run_front(NopPruner(), s, n_trials, m, with_scores=True) for s in seeds}
        for conf in (0.8, 0.9, 0.95, 0.99):
            res = {
                s: run_front(
                    ParetoPruner(rungs=RUNGS[:-1], confidence=conf), s, n_trials, m, with_scores=True
                )
                for s in seeds
            }
            saved = 1 - _median([res[s].steps for s in seeds]) / _median([base[s].steps for s in seeds])
            ratio = [res[s].hv / base[s].hv for s in seeds]
            pruned = sum(res[s].front_pruned for s in seeds)
            size = sum(res[s].front_size for s in seeds)
            lines.append(
                f"| {m} | {conf} | {saved:.1%} | {_median(ratio):.4f} | {min(ratio):.4f} | {pruned} / {size} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=100, help="trials per run (part 1)")
    parser.add_argument("--mo-trials", type=int, default=80, help="trials per run (part 2)")
    parser.add_argument("--quick", action="store_true", help="2 seeds, 20 trials: a smoke run")
    args = parser.parse_args()
    seeds = list(range(2 if args.quick else args.seeds))
    n_trials, mo_trials = (20, 20) if args.quick else (args.trials, args.mo_trials)
    print(
        f"{time.strftime('%Y-%m-%d')}, {platform.processor() or platform.machine()}, Python {platform.python_version()}"
    )
    for crossing, label in ((False, "tau = 10 for every config"), (True, "crossing curves, tau = 3 + 22 x2")):
        print(f"\n### Learning curves ({label}), {len(seeds)} seeds x {n_trials} trials x {MAX_STEP} steps\n")
        print(curves_table(seeds, n_trials, crossing=crossing))
    for m in (2, 3):
        print(f"\n### {m} objectives, {len(seeds)} seeds x {mo_trials} trials x {N_QUESTIONS} questions\n")
        print(front_table(seeds, mo_trials, m))
    print(f"\n### ParetoPruner (paired) confidence sweep, {len(seeds)} seeds x {mo_trials} trials\n")
    print(confidence_table(seeds, mo_trials))


if __name__ == "__main__":
    main()

"""NSGA-II cost per trial: 1,000 trials, 10 float parameters, 2 objectives, a trivial objective,
in-memory storage; ragtune's NSGAIISampler next to Optuna's in the same run (Optuna only if
installed: pip install '.[bench]'), with ragtune's RandomSampler as the study's own overhead.

Run: python benchmarks/nsga2_speed.py [--trials 1000] [--repeats 5] [--population 50]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from typing import Any


def _objective(trial: Any) -> tuple[float, float]:
    xs = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(10)]
    return xs[0], sum(xs[1:]) + 1.0 - xs[0]


def ragtune_run(n_trials: int, population: int, *, sampler: str = "nsga2") -> float:
    import ragtune as rt
    from ragtune.samplers import NSGAIISampler, RandomSampler

    chosen = (
        NSGAIISampler(population_size=population, seed=0) if sampler == "nsga2" else RandomSampler(seed=0)
    )
    study = rt.create_study(directions=["minimize", "minimize"], sampler=chosen)
    start = time.perf_counter()
    study.optimize(_objective, n_trials=n_trials)
    return (time.perf_counter() - start) / n_trials * 1e3


def optuna_run(n_trials: int, population: int) -> float | None:
    try:
        import optuna
    except ImportError:
        return None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.NSGAIISampler(population_size=population, seed=0)
    study = optuna.create_study(directions=["minimize", "minimize"], sampler=sampler)
    start = time.perf_counter()
    study.optimize(_objective, n_trials=n_trials)
    return (time.perf_counter() - start) / n_trials * 1e3


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--population", type=int, default=50)
    args = parser.parse_args()
    n, pop = args.trials, args.population
    ours_runs: list[float] = []
    random_runs: list[float] = []
    theirs_runs: list[float | None] = []
    for _ in range(args.repeats):  # interleaved so that machine noise hits all three alike
        ours_runs.append(ragtune_run(n, pop))
        random_runs.append(ragtune_run(n, pop, sampler="random"))
        theirs_runs.append(optuna_run(n, pop))
    ours = (min(ours_runs), statistics.median(ours_runs))
    base = (min(random_runs), statistics.median(random_runs))
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
        f"python {platform.python_version()}"
    )
    print(f"{n} trials, 10 float params, 2 objectives, population {pop}, {args.repeats} repeats")
    print(f"versions: ragtune {_version('ragtune')}, optuna {_version('optuna')}")
    print(f"ragtune NSGAIISampler : best {ours[0]:.3f}  median {ours[1]:.3f} ms/trial")
    print(f"ragtune RandomSampler : best {base[0]:.3f}  median {base[1]:.3f} ms/trial (study overhead)")
    if theirs_runs[0] is not None:
        values = [t for t in theirs_runs if t is not None]
        theirs = (min(values), statistics.median(values))
        print(f"optuna  NSGAIISampler : best {theirs[0]:.3f}  median {theirs[1]:.3f} ms/trial")
        print(
            f"ratio optuna/ragtune  : best {theirs[0] / ours[0]:.1f}x  median {theirs[1] / ours[1]:.1f}x "
            "(ragtune faster when > 1)"
        )


if __name__ == "__main__":
    main()

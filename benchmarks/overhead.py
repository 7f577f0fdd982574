"""Bookkeeping overhead per trial: 1,000 trials of a trivial 10-parameter objective, RandomSampler,
in-memory storage, ragtune vs Optuna side by side (Optuna only if installed: pip install '.[bench]').

Run: python benchmarks/overhead.py [--trials 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import platform
import time


def ragtune_run(n_trials: int) -> float:
    import ragtune as rt
    from ragtune.samplers import RandomSampler

    def objective(trial: rt.Trial) -> float:
        return sum(trial.suggest_float(f"x{i}", -5.0, 5.0) for i in range(10))

    study = rt.create_study(sampler=RandomSampler(seed=0))
    start = time.perf_counter()
    study.optimize(objective, n_trials=n_trials)
    return (time.perf_counter() - start) / n_trials * 1e3


def optuna_run(n_trials: int) -> float | None:
    try:
        import optuna
    except ImportError:
        return None
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def objective(trial: optuna.Trial) -> float:
        return sum(trial.suggest_float(f"x{i}", -5.0, 5.0) for i in range(10))

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    start = time.perf_counter()
    study.optimize(objective, n_trials=n_trials)
    return (time.perf_counter() - start) / n_trials * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    ours = min(ragtune_run(args.trials) for _ in range(args.repeats))
    theirs_runs = [optuna_run(args.trials) for _ in range(args.repeats)]
    theirs = None if theirs_runs[0] is None else min(t for t in theirs_runs if t is not None)
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}")
    print(f"ragtune RandomSampler in-memory: {ours:.3f} ms/trial (best of {args.repeats})")
    if theirs is not None:
        print(
            f"optuna  RandomSampler in-memory: {theirs:.3f} ms/trial -> ragtune is {theirs / ours:.1f}x faster"
        )


if __name__ == "__main__":
    main()

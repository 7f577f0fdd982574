"""Per-trial cost of ragtune's TPE next to Optuna's, on a trivial objective with in-memory storage.

Run: ``python benchmarks/samplers_speed.py [--trials 1000] [--mo-trials 500] [--repeats 3]``

Ten float parameters in [-5, 5], objective sum of squares (and, for two objectives, the distance
to (1, ..., 1) as well). Every configuration runs in this one process; with ``--repeats`` the whole
set runs again, alternating, so machine noise hits all alike. Reported per configuration: mean
ms per trial (wall clock and process CPU time; best and median over repeats), the marginal cost
over the last 100 trials, and the mean cost in windows of trials, to show how the cost grows
with the history. ``scipy.special`` is imported before timing: ragtune imports it lazily on the
first model-based trial (about 0.3 s, once per process), Optuna at import time.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

N_PARAMS = 10


@dataclass
class Timing:
    name: str
    n_trials: int
    wall_ms: float
    cpu_ms: float
    last100_ms: float
    windows: list[tuple[int, float]]


def _objective(n_obj: int) -> Callable[[Any], Any]:
    def f(trial: Any) -> Any:
        xs = [trial.suggest_float(f"x{i}", -5.0, 5.0) for i in range(N_PARAMS)]
        a = sum(x * x for x in xs)
        if n_obj == 1:
            return a
        return a, sum((x - 1.0) ** 2 for x in xs)

    return f


def _run(name: str, make_study: Callable[[], Any], n_obj: int, n_trials: int) -> Timing:
    stamps: list[float] = []
    study = make_study()

    def callback(study: Any, trial: Any) -> None:
        stamps.append(time.perf_counter())

    t0, c0 = time.perf_counter(), time.process_time()
    study.optimize(_objective(n_obj), n_trials=n_trials, callbacks=[callback])
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    per = [b - a for a, b in zip([t0, *stamps[:-1]], stamps, strict=True)]
    width = max(n_trials // 10, 1)
    windows = [(i, 1000 * sum(per[i : i + width]) / width) for i in range(0, n_trials, width)]
    last = per[-100:]
    return Timing(
        name, n_trials, 1000 * wall / n_trials, 1000 * cpu / n_trials, 1000 * sum(last) / len(last), windows
    )


def _configs(n_trials: int, mo_trials: int) -> list[tuple[str, Callable[[], Any], int, int]]:
    import optuna

    import ragtune as rt
    from ragtune.samplers import RandomSampler, TPESampler

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return [
        ("ragtune Random", lambda: rt.create_study(sampler=RandomSampler(seed=0)), 1, n_trials),
        ("ragtune TPE multivariate", lambda: rt.create_study(sampler=TPESampler(seed=0)), 1, n_trials),
        (
            "optuna TPE multivariate",
            lambda: optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0, multivariate=True)),
            1,
            n_trials,
        ),
        (
            "ragtune TPE independent",
            lambda: rt.create_study(sampler=TPESampler(seed=0, multivariate=False)),
            1,
            n_trials,
        ),
        (
            "optuna TPE independent",
            lambda: optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0, multivariate=False)),
            1,
            n_trials,
        ),
        (
            "ragtune TPE 2-objective",
            lambda: rt.create_study(directions=["minimize", "minimize"], sampler=TPESampler(seed=0)),
            2,
            mo_trials,
        ),
        (
            "optuna TPE 2-objective",
            lambda: optuna.create_study(
                directions=["minimize", "minimize"], sampler=optuna.samplers.TPESampler(seed=0)
            ),
            2,
            mo_trials,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--mo-trials", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--only", default="", help="substring filter on configuration names")
    args = parser.parse_args()
    import scipy.special  # noqa: F401  (see the module docstring)

    runs: dict[str, list[Timing]] = {}
    for rep in range(args.repeats):
        for name, make, n_obj, n in _configs(args.trials, args.mo_trials):
            if args.only and args.only not in name:
                continue
            r = _run(name, make, n_obj, n)
            runs.setdefault(name, []).append(r)
            print(
                f"[{rep + 1}/{args.repeats}] {name:28s} trials={n:5d} mean={r.wall_ms:7.3f} ms "
                f"(cpu {r.cpu_ms:7.3f}) last100={r.last100_ms:7.3f} ms",
                flush=True,
            )
    best = {name: min(rs, key=lambda r: r.wall_ms) for name, rs in runs.items()}
    median = {name: statistics.median(r.wall_ms for r in rs) for name, rs in runs.items()}
    print()
    print(
        "| configuration | trials | mean ms/trial, best (median) | CPU ms/trial (best run) "
        "| last 100 trials ms/trial (best run) | Optuna / ragtune (best; median) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in best.items():
        ref = name.replace("ragtune", "optuna") if name.startswith("ragtune") else ""
        ratio = (
            f"{best[ref].wall_ms / r.wall_ms:.1f}x; {median[ref] / median[name]:.1f}x" if ref in best else ""
        )
        print(
            f"| {name} | {r.n_trials} | {r.wall_ms:.3f} ({median[name]:.3f}) | {r.cpu_ms:.3f} "
            f"| {r.last100_ms:.3f} | {ratio} |"
        )
    print()
    print("Growth (best run; mean ms/trial per window of trials starting at the given trial number):")
    for name, r in best.items():
        print(f"- {name}: " + ", ".join(f"{i}: {ms:.2f}" for i, ms in r.windows))


if __name__ == "__main__":
    main()

"""Solution quality of ragtune's default TPE next to Optuna's, over many seeds.

Run: ``python benchmarks/samplers_quality.py [--seeds 10] [--first-seed 0] [--processes 2] [--out results.json]``

Seeded runs are deterministic, so one library's runs can be reused: ``--libs optuna --out
optuna.json`` once, then ``--libs ragtune --reuse optuna.json`` while changing ragtune.

Single objective: the regret (best value found minus the optimum; for the noisy problem the
noise-free value of the trial with the best observed value) after 50, 100 and 300 trials, as
median and interquartile range over seeds, ragtune ``TPESampler(seed=s)`` against Optuna
``optuna.samplers.TPESampler(seed=s)``. Multi-objective: the hypervolume of the Pareto front
after 200 trials, ragtune's TPE against the sampler ``optuna.create_study(directions=[...])``
uses by default (Optuna 5.x, checked with 5.1.0: ``TPESampler``, seeded here).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from multiprocessing import Pool  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from problems import MULTI_OBJECTIVE, SINGLE_OBJECTIVE, Problem, objective_for  # noqa: E402

BUDGETS = (50, 100, 300)
MO_TRIALS = 200
ALPHA = 0.05
LIBS = ("ragtune", "optuna")


def _study(lib: str, seed: int, n_objectives: int) -> Any:
    directions: list[Any] = ["minimize"] * n_objectives
    if lib == "ragtune":
        import ragtune as rt
        from ragtune.samplers import TPESampler

        return rt.create_study(directions=directions, sampler=TPESampler(seed=seed))
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(directions=directions, sampler=optuna.samplers.TPESampler(seed=seed))


def _problem(name: str) -> Problem:
    return next(p for p in (*SINGLE_OBJECTIVE, *MULTI_OBJECTIVE) if p.name == name)


def run_task(task: tuple[str, str, int]) -> tuple[str, str, int, list[float], float]:
    """One (problem, library, seed) run: regrets at the budgets, or the final hypervolume."""
    name, lib, seed = task
    problem = _problem(name)
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    study = _study(lib, seed, problem.n_objectives)
    if problem.reference:
        from ragtune.core.hypervolume import hypervolume

        study.optimize(objective_for(problem, seed), n_trials=MO_TRIALS)
        losses = np.array([t.values for t in study.trials if t.values is not None], dtype=float)
        return name, lib, seed, [hypervolume(losses, problem.reference)], time.perf_counter() - t0
    study.optimize(objective_for(problem, seed), n_trials=max(BUDGETS))
    trials = sorted(study.trials, key=lambda t: t.number)
    observed = np.array([t.values[0] for t in trials])
    true = np.array([t.user_attrs.get("true_value", t.values[0]) for t in trials])
    regrets = []
    for budget in BUDGETS:
        best = int(np.argmin(observed[:budget]))
        regrets.append(float(true[best] - problem.optimum))
    return name, lib, seed, regrets, time.perf_counter() - t0


def _stats(values: list[float]) -> tuple[float, float, float]:
    q25, med, q75 = np.percentile(values, [25, 50, 75])
    return float(med), float(q25), float(q75)


def _fmt(x: float) -> str:
    return f"{x:.3g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.2e}"


def _one_sided_p(ours: list[float], theirs: list[float], *, lower_is_better: bool) -> tuple[float, float]:
    """Mann-Whitney U p-values (one-sided) that ragtune's runs are better, and that they are worse.

    The runs of both libraries are independent samples over seeds; the test asks whether one
    library's values tend to be smaller than the other's (no assumption on their distribution).
    """
    from scipy.stats import mannwhitneyu

    better, worse = ("less", "greater") if lower_is_better else ("greater", "less")
    return (
        float(mannwhitneyu(ours, theirs, alternative=better).pvalue),
        float(mannwhitneyu(ours, theirs, alternative=worse).pvalue),
    )


def _verdict(p_better: float, p_worse: float) -> str:
    if p_better < ALPHA:
        return "better"
    return "worse" if p_worse < ALPHA else "tie"


def _compare(
    results: dict[tuple[str, str], list[list[float]]],
    name: str,
    col: int,
    fmt: Callable[[float], str],
    *,
    lower_is_better: bool,
) -> tuple[list[str], bool, str]:
    """Per library "median [IQR]" of one column, whether ragtune's median is at least as good, and
    the rank test's "verdict (p better / p worse)"."""
    cells, medians, samples = [], [], []
    for lib in LIBS:
        values = [r[col] for r in results[(name, lib)]]
        med, q25, q75 = _stats(values)
        cells.append(f"{fmt(med)} [{fmt(q25)}, {fmt(q75)}]")
        medians.append(med)
        samples.append(values)
    if lower_is_better:
        ok = medians[0] <= medians[1] * (1 + 1e-9) + 1e-12
    else:
        ok = medians[0] >= medians[1]
    p_better, p_worse = _one_sided_p(*samples, lower_is_better=lower_is_better)
    return cells, ok, f"{_verdict(p_better, p_worse)} ({p_better:.2g} / {p_worse:.2g})"


def report(results: dict[tuple[str, str], list[list[float]]], seeds: int) -> str:
    lines = [
        f"Single objective: regret (median [IQR] over {seeds} seeds; lower is better). The last column is "
        f"two one-sided Mann-Whitney U tests over the seeds at alpha = {ALPHA}: ragtune significantly "
        "better, significantly worse, or neither (tie); in brackets the p-values that ragtune is better / "
        "worse.",
        "",
    ]
    lines.append("| problem | trials | ragtune TPE | Optuna TPE | ragtune at least as good | rank test (p) |")
    lines.append("|---|---:|---|---|:---:|---|")
    wins = dict.fromkeys(BUDGETS, 0)
    tests: dict[str, int] = {"better": 0, "tie": 0, "worse": 0}
    for p in SINGLE_OBJECTIVE:
        for b, budget in enumerate(BUDGETS):
            cells, ok, test = _compare(results, p.name, b, _fmt, lower_is_better=True)
            wins[budget] += ok
            tests[test.split()[0]] += 1
            lines.append(
                f"| {p.name} | {budget} | {cells[0]} | {cells[1]} | {'yes' if ok else 'no'} | {test} |"
            )
    n = len(SINGLE_OBJECTIVE)
    lines.append("")
    lines.append(
        "ragtune at least as good (median regret): "
        + ", ".join(f"{wins[b]}/{n} problems at {b} trials" for b in BUDGETS)
    )
    lines.append(
        f"Rank test over all {n * len(BUDGETS)} cells: ragtune significantly better in {tests['better']}, "
        f"significantly worse in {tests['worse']}, neither in {tests['tie']}"
    )
    lines += [
        "",
        f"Multi-objective: hypervolume after {MO_TRIALS} trials (median [IQR] over {seeds} seeds; higher is better).",
        "",
    ]
    lines.append(
        "| problem | reference point | ragtune TPE | Optuna default (TPESampler) | ragtune at least as good "
        "| rank test (p) |"
    )
    lines.append("|---|---|---|---|:---:|---|")
    mo_wins = 0
    for p in MULTI_OBJECTIVE:
        cells, ok, test = _compare(results, p.name, 0, "{:.4g}".format, lower_is_better=False)
        mo_wins += ok
        lines.append(
            f"| {p.name} | {p.reference} | {cells[0]} | {cells[1]} | {'yes' if ok else 'no'} | {test} |"
        )
    lines.append("")
    lines.append(f"ragtune at least as good (median hypervolume): {mo_wins}/{len(MULTI_OBJECTIVE)} problems")
    runs = {lib: sorted({len(v) for (_, owner), v in results.items() if owner == lib}) for lib in LIBS}
    if any(counts != [seeds] for counts in runs.values()):
        lines.append(
            "Runs per cell: " + "; ".join(f"{lib} {'-'.join(map(str, c))}" for lib, c in runs.items())
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument(
        "--first-seed", type=int, default=0, help="seeds are first-seed .. first-seed + seeds - 1"
    )
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--only", default="", help="substring filter on problem names")
    parser.add_argument("--out", default="", help="write raw results as JSON here")
    parser.add_argument("--libs", default=",".join(LIBS), help="libraries to run (comma-separated)")
    parser.add_argument(
        "--reuse",
        default="",
        help="raw results (JSON from --out, comma-separated files pooled) of libraries not run; "
        "--libs none --reuse A,B only reports",
    )
    args = parser.parse_args()
    libs = [lib for lib in LIBS if lib in args.libs.split(",")]
    problems = [p for p in (*SINGLE_OBJECTIVE, *MULTI_OBJECTIVE) if args.only in p.name]
    # Optuna's runs are the slow ones; start them first so the pool finishes evenly.
    tasks = [
        (p.name, lib, s)
        for lib in reversed(libs)
        for p in problems
        for s in range(args.first_seed, args.first_seed + args.seeds)
    ]
    results: dict[tuple[str, str], list[list[float]]] = {}
    for path in filter(None, args.reuse.split(",")):
        for key, vals in json.loads(Path(path).read_text()).items():
            name, lib = key.split("|")
            if lib not in libs:
                results.setdefault((name, lib), []).extend(vals)
    seconds: dict[str, float] = dict.fromkeys(LIBS, 0.0)
    t0 = time.perf_counter()
    with Pool(args.processes) as pool:
        for name, lib, seed, values, secs in pool.imap_unordered(run_task, tasks):
            results.setdefault((name, lib), []).append(values)
            seconds[lib] += secs
            print(f"[{time.perf_counter() - t0:7.1f}s] {name:24s} {lib:8s} seed={seed} {values}", flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps({f"{k[0]}|{k[1]}": v for k, v in results.items()}, indent=1))
    if args.only or (len(libs) < len(LIBS) and not args.reuse):
        for key, vals in sorted(results.items()):
            print(key, [_fmt(v) for v in np.median(np.array(vals), axis=0)])
        return
    print()
    print(report(results, max(len(v) for v in results.values())))
    if not tasks:
        return
    print()
    print(
        f"Run time summed over runs: ragtune {seconds['ragtune']:.0f} s, Optuna {seconds['optuna']:.0f} s; "
        f"wall {time.perf_counter() - t0:.0f} s with {args.processes} processes"
    )


if __name__ == "__main__":
    main()

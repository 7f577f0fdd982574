"""Parameter importance: ragtune's PED-ANOVA next to Optuna's default evaluator, on the same trials.

Run: ``python benchmarks/importance.py [--seeds 10] [--trials 300]`` (needs the ``bench`` extra).

Two synthetic problems, each over ``--seeds`` seeds, sampled at random by ragtune; the finished
trials are copied into an Optuna study, so both libraries judge the same data:

* ``conditional`` (tests/importance/synthetic.py): ``drive`` sets most of the value, ``noise`` is
  unused, ``cond`` exists only in branch ``a`` of ``branch``. Spearman is over the parameters both
  libraries score (all four with Optuna 5.1).
* ``graded``: six floats in [0, 1], value ``sum w_i (x_i - 0.3)^2`` with weights 8, 4, 2, 1, 0.5, 0 plus
  noise: the true order is x0 > x1 > ... > x5. Spearman over all six, against the truth as well.

Reported per problem: ragtune's right rankings, the mean and minimum Spearman correlation between
ragtune and Optuna, and the mean time of one call of each. For ``graded``, "right" is the exact
order of all six; "top 4" the exact order of the four that matter most (x4 at weight 0.5 and x5 at
0 are close to indistinguishable from 300 random trials).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "importance"))

from synthetic import objective as conditional_objective

import ragtune as rt
from ragtune.importance import FanovaImportanceEvaluator, get_param_importances
from ragtune.samplers import RandomSampler

WEIGHTS = (8.0, 4.0, 2.0, 1.0, 0.5, 0.0)


def graded_objective(trial: Any, rng: np.random.Generator) -> float:
    xs = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(len(WEIGHTS))]
    return float(sum(w * (x - 0.3) ** 2 for w, x in zip(WEIGHTS, xs, strict=True)) + 0.05 * rng.normal())


def to_optuna(study: rt.Study) -> Any:
    import optuna
    from optuna.distributions import CategoricalDistribution, FloatDistribution

    def dist(d: Any) -> Any:
        if isinstance(d, rt.CategoricalDistribution):
            return CategoricalDistribution(list(d.choices))
        return FloatDistribution(d.low, d.high, log=d.log)

    out = optuna.create_study(direction="minimize")
    for t in study.get_trials(states=(rt.TrialState.COMPLETE,)):
        out.add_trial(
            optuna.trial.create_trial(
                params=dict(t.params),
                distributions={k: dist(v) for k, v in t.distributions.items()},
                value=t.values[0] if t.values else None,
            )
        )
    return out


def timed(fn: Callable[[], dict[str, float]]) -> tuple[dict[str, float], float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def run(name: str, fn: Callable[[Any, np.random.Generator], float], seeds: int, trials: int) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rhos, right, top4, t_rt, t_op = [], 0, 0, [], []
    f_rhos, f_right, t_fa = [], 0, []
    for seed in range(seeds):
        rng = np.random.default_rng(1000 + seed)
        study = rt.create_study(sampler=RandomSampler(seed=seed))
        study.optimize(lambda t, rng=rng: fn(t, rng), n_trials=trials)
        ours, dt_rt = timed(lambda study=study: get_param_importances(study))
        op_study = to_optuna(study)
        theirs, dt_op = timed(lambda op_study=op_study: optuna.importance.get_param_importances(op_study))
        fan, dt_fa = timed(
            lambda study=study, seed=seed: get_param_importances(
                study, evaluator=FanovaImportanceEvaluator(seed=seed)
            )
        )
        t_fa.append(dt_fa)
        f_rhos.append(float(spearmanr([ours[k] for k in ours], [fan[k] for k in ours]).statistic))
        common = sorted(set(ours) & set(theirs))
        rho = float(spearmanr([ours[k] for k in common], [theirs[k] for k in common]).statistic)
        rhos.append(rho)
        t_rt.append(dt_rt)
        t_op.append(dt_op)
        if name == "graded":
            truth = [f"x{i}" for i in range(len(WEIGHTS))]
            ok = list(ours) == truth
            top4 += list(ours)[:4] == truth[:4]
            f_right += list(fan)[:4] == truth[:4]
            truth_rho = float(spearmanr([ours[k] for k in truth], [-i for i in range(len(truth))]).statistic)
            extra = f" spearman(ragtune, truth)={truth_rho:.3f}"
        else:
            ok = (
                next(iter(ours)) == "drive"
                and ours["cond"] > ours["noise"]
                and min(ours, key=ours.get) == "noise"
            )
            f_right += (
                next(iter(fan)) == "drive" and fan["cond"] > fan["noise"] and min(fan, key=fan.get) == "noise"
            )
            extra = ""
        right += ok
        fmt = ", ".join(f"{k}={v:.3f}" for k, v in ours.items())
        fmt_op = ", ".join(f"{k}={v:.3f}" for k, v in theirs.items())
        print(
            f"  {name} seed {seed}: right={ok} spearman={rho:.3f}{extra}\n    ragtune {fmt}\n    optuna  {fmt_op}"
        )
    print(
        f"{name}: right ranking {right}/{seeds}"
        + (f" (top 4: {top4}/{seeds})" if name == "graded" else "")
        + f"; spearman(ragtune, optuna) mean {statistics.mean(rhos):.3f} "
        f"min {min(rhos):.3f}; one call: ragtune {1000 * statistics.mean(t_rt):.1f} ms, "
        f"optuna {1000 * statistics.mean(t_op):.1f} ms ({trials} trials)"
    )
    print(
        f"{name}: ragtune fANOVA right {f_right}/{seeds}"
        + (" (top 4)" if name == "graded" else "")
        + f"; spearman(PED-ANOVA, fANOVA) mean {statistics.mean(f_rhos):.3f} min {min(f_rhos):.3f}; "
        f"one call {1000 * statistics.mean(t_fa):.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=300)
    args = parser.parse_args()
    run("conditional", conditional_objective, args.seeds, args.trials)
    run("graded", graded_objective, args.seeds, args.trials)


if __name__ == "__main__":
    main()

"""Issue 20: does the quick start prune on the default settings, and what does it cost?

Runs ``examples/python_docs_rag.py`` (3 objectives, constraint ``latency_p95_ms <= 200``) for
``--trials`` trials with the Tuner's defaults (``pruner=None``: the Pareto pruner, plus the Tuner's
stop of confidently infeasible trials) and again with ``NopPruner()`` and infeasible-stopping off, both
``TPESampler(seed)`` on one warm cache. Reports trials pruned, questions evaluated (sum of
``questions_evaluated``) and the hypervolume of the feasible COMPLETE trials' front (reference: nDCG 0,
mean latency 200 ms, safety pass rate 0).

Run: ``python benchmarks/quickstart_pruning.py --trials 30 --seeds 0``.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

import numpy as np

import ragtune as rt
from ragtune.core.directions import loss_signs
from ragtune.core.hypervolume import hypervolume
from ragtune.objectives.results import trial_results
from ragtune.pruners import NopPruner
from ragtune.samplers import TPESampler
from ragtune.tuner import Tuner

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "python_docs_rag.py"
REFERENCE = (0.0, 200.0, 0.0)


def load_example() -> object:
    spec = importlib.util.spec_from_file_location("quickstart", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def front_hv(study: rt.Study) -> float:
    done = [t for t in study.trials if t.state is rt.TrialState.COMPLETE and t.feasible and t.values]
    if not done:
        return 0.0
    signs = loss_signs(study.directions)
    losses = np.array([t.values for t in done], dtype=float) * signs
    return hypervolume(losses, np.array(REFERENCE) * signs)


def run(example: object, seed: int, trials: int, prune: bool, cache: Path) -> dict[str, float]:
    tuner = Tuner(
        example.pipeline,  # type: ignore[attr-defined]
        example.dataset,  # type: ignore[attr-defined]
        objectives=example.objectives,  # type: ignore[attr-defined]
        constraints=example.constraints,  # type: ignore[attr-defined]
        sampler=TPESampler(seed=seed),
        pruner=None if prune else NopPruner(),
        seed=seed,
        cache=cache,
        prune_infeasible=prune,
    )
    start = time.perf_counter()
    tuner.optimize(n_trials=trials)
    wall = time.perf_counter() - start
    study = tuner.study
    states = [t.state for t in study.trials]
    return {
        "pruned": sum(s is rt.TrialState.PRUNED for s in states),
        "complete": sum(s is rt.TrialState.COMPLETE for s in states),
        "questions": sum(trial_results(t).questions_evaluated for t in study.trials),
        "hv": front_hv(study),
        "wall": wall,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=30)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--cache", type=Path, default=Path(".ragtune/bench-quickstart-cache"))
    args = ap.parse_args()
    example = load_example()
    print(
        "| seed | arm | pruned | complete | questions evaluated | saved | front HV | HV / HV(none) | wall s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for seed in args.seeds:
        none = run(example, seed, args.trials, False, args.cache)
        default = run(example, seed, args.trials, True, args.cache)
        for arm, r in (("no pruning", none), ("defaults", default)):
            saved = 1.0 - r["questions"] / none["questions"]
            print(
                f"| {seed} | {arm} | {r['pruned']} | {r['complete']} | {r['questions']} | {saved:.1%} | "
                f"{r['hv']:.3f} | {r['hv'] / none['hv']:.4f} | {r['wall']:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()

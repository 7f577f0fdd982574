"""The Python API on a function that has nothing to do with RAG: two objectives and a constraint.

Run it with:  python examples/generic_objective.py [--trials 200] [--storage duckdb:///generic.duckdb]
"""

from __future__ import annotations

import argparse
import math

import ragtune as rt


def objective(trial: rt.Trial) -> tuple[float, float]:
    """A toy 'model': accuracy improves with width and training steps, cost grows with both."""
    width = trial.suggest_int("width", 16, 512, log=True)
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    optimizer = trial.suggest_categorical("optimizer", ["sgd", "adam"])
    momentum = trial.suggest_float("momentum", 0.0, 0.99) if optimizer == "sgd" else 0.0
    accuracy = 0.0
    for step in range(1, 11):
        quality = 1.0 - math.exp(-step * width / 800.0)
        penalty = abs(math.log10(lr) + (3.0 if optimizer == "adam" else 1.5)) * 0.1
        accuracy = max(0.0, quality - penalty + 0.05 * momentum)
        trial.report([accuracy, width * step / 100.0], step)
        if trial.should_prune():
            raise rt.TrialPruned()
    cost = width * 10 / 100.0
    trial.set_constraint([cost - 40.0])  # feasible when cost <= 40
    return accuracy, cost


def main() -> rt.Study:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--storage", default=None, help="default: in memory")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    study = rt.create_study(
        directions=["maximize", "minimize"],
        storage=args.storage,
        study_name="generic",
        load_if_exists=True,
        sampler=rt.samplers.TPESampler(seed=args.seed),
        pruner=rt.pruners.ParetoPruner(),
    )
    study.set_metric_names(["accuracy", "cost"])  # names for `ragtune tui` and the CLI, as in Optuna
    study.optimize(objective, n_trials=args.trials)
    for t in sorted(study.best_trials, key=lambda t: t.number):
        print(f"trial {t.number}: accuracy={t.values[0]:.3f} cost={t.values[1]:.1f} {t.params}")  # type: ignore[index]
    return study


if __name__ == "__main__":
    main()

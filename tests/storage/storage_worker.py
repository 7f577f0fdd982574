"""A worker process for the storage fault and concurrency tests (run as a script by the tests).

Usage: ``python storage_worker.py MODE URL STUDY [options]``

Modes:
  optimize  run ``n`` trials of a trivial objective; print one JSON line with what it did
  hang      start one trial, set a user attr, suggest two params, print ``RUNNING <number> <params
            json>``, then sleep until killed
  forever   run trials until killed, printing ``DONE <number> <value>`` after each one
  hold      open the storage, print ``READY``, then sleep until killed (holds a DuckDB file)
  open      open the storage and print ``OK`` or ``<ErrorType>: <message>`` (one line)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from typing import Any


def _storage(args: argparse.Namespace) -> Any:
    from ragtune.storage import SQLStorage

    kwargs: dict[str, Any] = {}
    if args.heartbeat is not None:
        kwargs["heartbeat_interval"] = args.heartbeat
        kwargs["grace_period"] = args.grace
    return SQLStorage(args.url, **kwargs)


def _objective(sleep: float) -> Any:
    def objective(trial: Any) -> float:
        x = trial.suggest_float("x", -1.0, 1.0)
        k = trial.suggest_int("k", 1, 64)
        kind = trial.suggest_categorical("kind", ["bm25", "dense", "hybrid"])
        if sleep:
            time.sleep(sleep)
        return float(x * x + k / 64.0 + (0.1 if kind == "dense" else 0.0))

    return objective


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["optimize", "hang", "forever", "hold", "open"])
    parser.add_argument("url")
    parser.add_argument("study")
    parser.add_argument("--n", type=int, default=10)
    parser.add_argument("--sleep", type=float, default=0.0)
    parser.add_argument("--heartbeat", type=float, default=None)
    parser.add_argument("--grace", type=float, default=None)
    parser.add_argument("--no-psycopg", action="store_true", help="make `import psycopg` fail")
    args = parser.parse_args()
    if args.no_psycopg:
        sys.modules["psycopg"] = None  # type: ignore[assignment]

    import ragtune
    from ragtune.samplers import RandomSampler

    if args.mode == "open":
        try:
            _storage(args).close()
        except Exception as e:
            print(f"{type(e).__name__}: {e}", flush=True)
            return 0
        print("OK", flush=True)
        return 0

    storage = _storage(args)
    if args.mode == "hold":
        print("READY", flush=True)
        time.sleep(3600)
        return 0
    study = ragtune.create_study(
        storage=storage, study_name=args.study, load_if_exists=True, sampler=RandomSampler()
    )
    if args.mode == "hang":

        def hang(trial: Any) -> float:
            trial.set_user_attr("note", {"stage": ["suggesting"]})
            params = {"x": trial.suggest_float("x", -1.0, 1.0), "k": trial.suggest_int("k", 1, 64)}
            print(f"RUNNING {trial.number} {json.dumps(params)}", flush=True)
            time.sleep(3600)  # heartbeats go on from optimize()'s thread until the test kills us
            return 0.0

        study.optimize(hang, n_trials=1)
        return 0
    if args.mode == "forever":

        def report(_: Any, frozen: Any) -> None:
            print(f"DONE {frozen.number} {frozen.values[0]!r}", flush=True)

        study.optimize(_objective(args.sleep), callbacks=[report])
        return 0
    numbers: list[int] = []
    errors: list[str] = []
    try:
        study.optimize(
            _objective(args.sleep),
            n_trials=args.n,
            callbacks=[lambda _, frozen: numbers.append(frozen.number)],
        )
    except Exception:
        errors.append(traceback.format_exc())
    print(json.dumps({"numbers": numbers, "errors": errors}), flush=True)
    storage.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""A worker's memory as its study grows, ragtune next to Optuna, on PostgreSQL (run by hand).

For each library, one worker process runs T trials (default 5,000) of a trivial objective (a float,
an int and a categorical param; a seeded random sampler, so the figures are the cost of the study
and its storage, not of a model) on its own fresh PostgreSQL schema. The worker reads its RSS
(VmRSS) when the study reaches 1,000 trials, halfway, and at its last trial, and the Python
memory `tracemalloc` sees is not traced (it would slow both down). The libraries run one after
the other in one invocation, on the same server.

ragtune: `SQLStorage` (the PostgreSQL backend, heartbeats on). Optuna (the `bench` extra):
`optuna.create_study(storage=URL)`, its default RDB storage.

Run:
    python benchmarks/worker_memory.py --url postgresql+psycopg://postgres@127.0.0.1:5432/test
    python benchmarks/worker_memory.py --trials 2000 --libs ragtune     # a quick run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import uuid
from typing import Any

from load import drop_schema, rss_kb, setup_schema

LIBS = ("ragtune", "optuna")


def _marks(n_trials: int) -> tuple[int, ...]:
    return tuple(sorted({min(1000, n_trials - 1), n_trials // 2, n_trials - 1}))


def _objective(trial: Any) -> float:
    """The same for both libraries: their trials share the suggest API."""
    x = trial.suggest_float("x", -5.0, 5.0)
    y = trial.suggest_int("y", 0, 100)
    kind = trial.suggest_categorical("kind", ["bm25", "dense", "hybrid"])
    return x * x + y / 100.0 + (0.5 if kind == "dense" else 0.0)


def run_worker(lib: str, url: str, n_trials: int) -> dict[str, Any]:
    """Run the study in this process; RSS in KiB at the trial numbers of ``_marks``."""
    marks = _marks(n_trials)
    rss: dict[int, int] = {}

    def note(_: Any, frozen: Any) -> None:
        if frozen.number in marks:
            rss[frozen.number] = rss_kb()

    start = time.perf_counter()
    if lib == "ragtune":
        import ragtune as rt
        from ragtune.samplers import RandomSampler
        from ragtune.storage import SQLStorage

        storage = SQLStorage(url)
        study = rt.create_study(storage=storage, study_name="memory", sampler=RandomSampler(seed=0))
        study.optimize(_objective, n_trials=n_trials, callbacks=[note])
        storage.close()
    else:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        ostudy = optuna.create_study(
            storage=url, study_name="memory", sampler=optuna.samplers.RandomSampler(seed=0)
        )
        ostudy.optimize(_objective, n_trials=n_trials, callbacks=[note])
    return {"lib": lib, "rss_kb": rss, "seconds": time.perf_counter() - start}


def run_one(lib: str, base_url: str, n_trials: int) -> dict[str, Any]:
    schema = f"ragtune_memory_{uuid.uuid4().hex[:10]}"
    url = setup_schema(base_url, schema)
    try:
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--role",
                "worker",
                "--lib",
                lib,
                "--url",
                url,
                "--trials",
                str(n_trials),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        drop_schema(base_url, schema)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["rss_kb"] = {int(k): v for k, v in result["rss_kb"].items()}
    return result


def setting() -> str:
    """When and where, taken before the runs."""
    return (
        f"- started {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC; {os.cpu_count()} CPUs, "
        f"{platform.machine()}, Python {platform.python_version()}; load average before {os.getloadavg()[0]:.1f}"
    )


def report(results: list[dict[str, Any]], n_trials: int, where: str) -> str:
    marks = _marks(n_trials)
    head = " / ".join(f"trial {m + 1:,}" for m in marks)
    lines = [
        where,
        "",
        f"| library | trials | wall s | RSS at {head} (MiB) | growth, trial {marks[0] + 1:,} to {marks[-1] + 1:,} |",
        "|---|---:|---:|---|---:|",
    ]
    for r in results:
        rss = [r["rss_kb"][m] / 1024 for m in marks]
        lines.append(
            f"| {r['lib']} | {n_trials:,} | {r['seconds']:.0f} | {' / '.join(f'{v:.1f}' for v in rss)} "
            f"| {rss[-1] - rss[0]:+.1f} MiB |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--role", choices=["parent", "worker"], default="parent", help=argparse.SUPPRESS)
    parser.add_argument("--lib", choices=LIBS, help=argparse.SUPPRESS)
    parser.add_argument(
        "--url",
        default=os.environ.get(
            "RAGTUNE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--trials", type=int, default=5000)
    parser.add_argument("--libs", default=",".join(LIBS), help="comma-separated: ragtune,optuna")
    args = parser.parse_args()
    if args.role == "worker":
        print(json.dumps(run_worker(args.lib, args.url, args.trials)), flush=True)
        return 0
    where = setting()
    results = [run_one(lib, args.url, args.trials) for lib in LIBS if lib in args.libs.split(",")]
    print(report(results, args.trials, where))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

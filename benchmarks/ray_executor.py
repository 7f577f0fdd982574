"""Trials per minute through Ray (1 and 2 workers) vs plain processes, on PostgreSQL (run by hand).

The pipeline (benchmarks/ray_cpu_pipeline.py, run with --no-cache and no pruner) rebuilds its index
every trial, so a trial is CPU work of about the same size whatever is sampled. Configurations, each
a fresh `ragtune optimize` command on its own fresh PostgreSQL schema, run round-robin (A B C D A B C
D ...) so that the load other work puts on the machine falls on all of them alike:

    plain-1   ragtune optimize (trials in the command's own process)
    plain-2   ragtune optimize --workers 2 (two `ragtune worker` processes)
    ray-1     ragtune optimize --executor ray --workers 1
    ray-2     ragtune optimize --executor ray --workers 2

against one local Ray head (`ray start --head --num-cpus 2` on 127.0.0.1, started and stopped here).
OMP_NUM_THREADS=1 everywhere (Ray sets it for 1-CPU tasks; plain processes get the same). Reported:
wall time of the command, and the span from the first trial's start to the last trial's end (in
PostgreSQL), which leaves out process start-up; trials/min from the span. Ray's overhead per trial
is (ray-1 span - plain-1 span) / trials: the same trials one at a time, through Ray or not; and,
less noisy, the median gap between one trial's end and the next one's start with one worker (Ray:
the result travels back, the driver schedules the next task, which asks; plain: the next ask).

With --overhead the pipeline is benchmarks/ray_tiny_pipeline.py instead (BM25, index cached after
the first trial, 5 questions, a few ms of work), so (ray-1 span - plain-1 span) / trials is the cost
of placing each trial as a Ray task rather than of the work.

Run:
    python benchmarks/ray_executor.py --url postgresql+psycopg://postgres@127.0.0.1:5432/test
    python benchmarks/ray_executor.py --trials 6 --rounds 1       # a quick run
    python benchmarks/ray_executor.py --overhead --trials 40 --configs plain-1 ray-1
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from load import drop_schema, setup_schema

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "distributed"))
from ray_head import start_head  # noqa: E402

PIPELINE = Path(__file__).with_name("ray_cpu_pipeline.py")
TINY = Path(__file__).with_name("ray_tiny_pipeline.py")
CONFIGS = {
    "plain-1": [],
    "plain-2": ["--workers", "2"],
    "ray-1": ["--executor", "ray", "--workers", "1"],
    "ray-2": ["--executor", "ray", "--workers", "2"],
}


def run_one(
    name: str, url: str, trials: int, address: str, workdir: Path, overhead: bool = False
) -> dict[str, Any]:
    import ragtune as rt

    schema = f"rt_bench_ray_{uuid.uuid4().hex[:8]}"
    surl = setup_schema(url, schema)
    args = list(CONFIGS[name])
    if "ray" in args:
        args += ["--ray-address", address]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "RAGTUNE_STORAGE": surl}
    if overhead:
        args += ["--max-questions", "5"]
    else:
        args += ["--no-cache"]
    pipeline = TINY if overhead else PIPELINE
    cmd = [sys.executable, "-m", "ragtune", "optimize", str(pipeline), "--storage", surl, "--study", "b",
           "-n", str(trials), "--pruner", "none", "--sampler", "random", "--seed", "1",
           "--json", *args]  # fmt: skip
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - t0
    try:
        if done.returncode != 0:
            raise SystemExit(f"{name} failed: {done.stderr[-2000:]}")
        ts = rt.load_study(study_name="b", storage=surl).trials
        assert len(ts) == trials and all(t.state is rt.TrialState.COMPLETE for t in ts)
        span = (max(t.datetime_complete for t in ts) - min(t.datetime_start for t in ts)).total_seconds()  # type: ignore[type-var, operator]
        per_trial = statistics.median(
            (t.datetime_complete - t.datetime_start).total_seconds()  # type: ignore[operator]
            for t in ts
        )
        # Between one trial's end and the next one's start: with one worker, what placing the next
        # trial costs (Ray: result back to the driver, the next task scheduled, ask; plain: ask).
        order = sorted(ts, key=lambda t: t.datetime_start)  # type: ignore[arg-type, return-value]
        gaps = [
            (b.datetime_start - a.datetime_complete).total_seconds()  # type: ignore[operator]
            for a, b in itertools.pairwise(order)
        ]
        gap = statistics.median(gaps) if gaps else float("nan")
    finally:
        drop_schema(url, schema)
    return {"config": name, "wall_s": wall, "span_s": span, "trial_median_s": per_trial,
            "gap_median_s": gap, "trials_per_min": trials / span * 60}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default=os.environ.get("RAGTUNE_TEST_POSTGRES_URL"))
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--configs", nargs="*", default=list(CONFIGS))
    ap.add_argument("--overhead", action="store_true", help="near-free trials (ray_tiny_pipeline.py)")
    ap.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    a = ap.parse_args()
    if not a.url:
        raise SystemExit("pass --url postgresql+psycopg://... (or set RAGTUNE_TEST_POSTGRES_URL)")
    workdir = Path(os.environ.get("TMPDIR", "/tmp")) / f"rt-bench-ray-{uuid.uuid4().hex[:6]}"
    workdir.mkdir()
    head = start_head(num_cpus=2)
    rows: list[dict[str, Any]] = []
    try:
        for r in range(a.rounds):
            for name in a.configs:
                row = run_one(name, a.url, a.trials, head.address, workdir, a.overhead)
                row["round"] = r
                rows.append(row)
                print(json.dumps(row), flush=True)
    finally:
        head.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    summary: dict[str, dict[str, float]] = {}
    for name in a.configs:
        mine = [x for x in rows if x["config"] == name]
        summary[name] = {
            k: statistics.median(x[k] for x in mine)
            for k in ("wall_s", "span_s", "trial_median_s", "gap_median_s", "trials_per_min")
        }
    out = {
        "machine": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "trials": a.trials,
        "pipeline": "tiny (overhead)" if a.overhead else "cpu-bound",
        "rounds": a.rounds,
        "runs": rows,
        "median": summary,
    }
    if "ray-1" in summary and "plain-1" in summary:
        out["ray_overhead_per_trial_s"] = (
            summary["ray-1"]["span_s"] - summary["plain-1"]["span_s"]
        ) / a.trials
        out["ray_startup_s"] = (summary["ray-1"]["wall_s"] - summary["ray-1"]["span_s"]) - (
            summary["plain-1"]["wall_s"] - summary["plain-1"]["span_s"]
        )
    print(json.dumps({k: v for k, v in out.items() if k != "runs"}, indent=2))
    if a.out:
        a.out.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()

"""Time from starting ``ragtune tui`` on a 10,000-trial, 3-objective study to the first painted table rows.

    python benchmarks/tui_first_paint.py                       # in-memory storage, 10,000 trials
    python benchmarks/tui_first_paint.py --storage duckdb --db /tmp/tui-bench.duckdb
    python benchmarks/tui_first_paint.py --storage postgresql+psycopg://user:pw@host/db
    python benchmarks/tui_first_paint.py --storage duckdb --db /tmp/tui-bench.duckdb --new-process

The clock starts before the app is built (as the CLI does after opening the storage) and stops at the
first frame in which the study screen's table has rows, polled every 5 ms inside ``App.run_test``.
That clock starts after Python, ragtune, Textual and the storage driver are imported. With
``--new-process`` every run is a new Python process instead, and the clock starts before that
process is started, so it includes the interpreter's start and every import, as a user who types
``ragtune tui`` waits for them (the in-process figures are printed next to it, from the same file).
It also times the parts: reading the study through the storage, building the view model, and the
"all trials" toggle (10,000 rows into the table). A DuckDB file passed with ``--db`` is kept and reused
when it already holds the study, since inserting 10,000 trials one by one takes minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import datetime as dt
import gc
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import ragtune as rt
from ragtune.core.distributions import (
    AnyDistribution,
    categorical_distribution,
    float_distribution,
    int_distribution,
)
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trial_state import TrialState
from ragtune.storage import get_storage
from ragtune.storage.base import Storage
from ragtune.tui import create_app
from ragtune.tui.study_reader import StudyReader
from ragtune.tui.view_model import build_view, default_state
from ragtune.tui.widgets import TrialTable

STUDY = "bench-10k"
DISTS: dict[str, AnyDistribution] = {
    "chunk_size": int_distribution(128, 1024, 64, False),
    "retriever": categorical_distribution(("bm25", "dense", "hybrid")),
    "top_k": int_distribution(1, 50, 1, False),
    "alpha": float_distribution(0.0, 1.0, None, False),
}


def build_study(storage: Storage, n_trials: int, *, seed: int = 0) -> None:
    """A RAG-shaped study: 3 objectives, 4 params, metrics, timings and 3 rungs per trial (seeded)."""
    rng = np.random.default_rng(seed)
    study = rt.create_study(
        storage=storage, study_name=STUDY, directions=["maximize", "minimize", "maximize"]
    )
    study.set_metric_names(["ndcg@10", "latency_p95_ms", "safety_pass_rate"])
    start = dt.datetime(2025, 1, 1)
    for i in range(n_trials):
        top_k, alpha = int(rng.integers(1, 51)), float(rng.random())
        ndcg = float(np.clip(0.3 + 0.006 * top_k + 0.1 * alpha + rng.normal(0, 0.05), 0, 1))
        latency = float(10 + 3 * top_k + 40 * alpha + rng.normal(0, 5))
        safety = float(np.clip(1 - 0.002 * top_k - rng.uniform(0, 0.05), 0, 1))
        values = (ndcg, latency, safety)
        pruned = i % 7 == 3
        study.add_trial(
            FrozenTrial(
                number=-1,
                state=TrialState.PRUNED if pruned else TrialState.COMPLETE,
                values=None if pruned else values,
                params={
                    "chunk_size": int(rng.integers(2, 17)) * 64,
                    "retriever": ("bm25", "dense", "hybrid")[int(rng.integers(3))],
                    "top_k": top_k,
                    "alpha": alpha,
                },
                distributions=DISTS,
                system_attrs={
                    "ragtune:metrics": {
                        "ndcg@10": ndcg,
                        "latency_p95_ms": latency,
                        "safety_pass_rate": safety,
                    },
                },
                user_attrs={"timings": {"eval_s": latency / 10}},
                intermediate_values={s: values for s in (10, 30, 90)},
                datetime_start=start + dt.timedelta(seconds=i),
                datetime_complete=start + dt.timedelta(seconds=i + 1),
            )
        )


async def first_paint(
    url: str, storage: Storage | None, *, toggle_all: bool, report_epoch: bool = False
) -> tuple[float, float, float | None, int]:
    """Wall and CPU seconds to the first table rows, seconds for the all-trials toggle, rows painted.

    With ``storage=None`` the clock includes opening ``url`` (as ``ragtune tui --storage URL`` does);
    an in-memory storage has to be passed in, since it only lives in this process.
    """
    t0, c0 = time.perf_counter(), time.process_time()
    backend = storage if storage is not None else get_storage(url)
    app = create_app(backend, STUDY, refresh_interval=None)
    async with app.run_test(size=(120, 40)) as pilot:
        while True:
            tables = app.screen.query(TrialTable)
            if tables and tables.first().row_count > 0:
                break
            await pilot.pause(0.005)
        painted, cpu = time.perf_counter() - t0, time.process_time() - c0
        if report_epoch:  # --child: the parent's clock stops here (teardown is not the user's wait)
            print(f"painted-at {time.time():.6f} cpu {time.process_time():.6f}", flush=True)
            os._exit(0)
        rows = tables.first().row_count
        toggled = None
        if toggle_all:
            t1 = time.perf_counter()
            await pilot.press("a")
            await pilot.pause()
            toggled = time.perf_counter() - t1
    if storage is None:
        backend.close()
    return painted, cpu, toggled, rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--storage", default="memory", help="memory, duckdb, or a storage URL")
    parser.add_argument(
        "--db", type=Path, default=Path("tui-bench.duckdb"), help="DuckDB file (--storage duckdb)"
    )
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--warm", action="store_true", help="reuse one opened storage (the study already in the process)"
    )
    parser.add_argument(
        "--new-process",
        action="store_true",
        help="also time each first paint from the start of a new process (imports included)",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:  # one run in a new process, for --new-process: open, paint, report, exit
        import ragtune.cli.app  # noqa: F401  (what `ragtune tui` imports before it opens the storage)

        asyncio.run(first_paint(args.storage, None, toggle_all=False, report_epoch=True))
        return
    # Bytecode as an installed package has it: where PYTHONDONTWRITEBYTECODE is set (this machine),
    # an editable install would compile ragtune's modules from source in every process.
    compileall.compile_dir(Path(rt.__file__).parent, quiet=1)

    url = f"duckdb:///{args.db}" if args.storage == "duckdb" else args.storage
    storage = get_storage(url)
    existing = {s.study_name: s.n_trials for s in storage.get_all_studies()}
    if existing.get(STUDY) != args.trials:
        if STUDY in existing:
            rt.delete_study(study_name=STUDY, storage=storage)
        t = time.perf_counter()
        build_study(storage, args.trials)
        print(f"built {args.trials} trials in {time.perf_counter() - t:.1f} s")
    in_memory = url.strip().lower() == "memory"
    warm = in_memory or args.warm
    if not warm:
        storage.close()

    t = time.perf_counter()
    reader_storage = storage if warm else get_storage(url)
    open_s = time.perf_counter() - t
    t = time.perf_counter()
    model = StudyReader(reader_storage, STUDY).read()
    read_s = time.perf_counter() - t
    assert model is not None
    t = time.perf_counter()
    view = build_view(model, default_state(model))
    view_s = time.perf_counter() - t
    described = reader_storage.describe()
    if not warm:
        reader_storage.close()

    keep = storage if warm else None
    runs = []
    for i in range(args.repeat):
        gc.collect()  # each run starts from a clean heap, as a new `ragtune tui` process does
        runs.append(asyncio.run(first_paint(url, keep, toggle_all=i == 0)))
    paints, cpus = [r[0] for r in runs], [r[1] for r in runs]
    print(f"machine: {platform.machine()} {platform.processor() or ''} python {platform.python_version()}")
    print(f"storage: {described}  trials: {len(model.trials)}  front: {int(view.front.sum())}")
    print(
        f"open storage: {open_s * 1000:.0f} ms   read + view model: {read_s * 1000:.0f} ms   "
        f"front, knee and order: {view_s * 1000:.0f} ms"
    )
    print(
        f"first paint{'' if warm else ' (storage opened inside the clock)'}: median "
        f"{statistics.median(paints):.3f} s, min {min(paints):.3f} s, max {max(paints):.3f} s "
        f"over {len(paints)} runs ({runs[0][3]} front rows)"
    )
    print(f"first paint, CPU time of the process (both threads): median {statistics.median(cpus):.3f} s")
    print(f"'a' (all {len(model.trials)} trials into the table): {runs[0][2]:.3f} s")
    print(
        f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs"
    )
    if warm:
        storage.close()
    if args.new_process and not in_memory:
        fresh = [_paint_in_new_process(url) for _ in range(args.repeat)]
        print(
            f"first paint from a new process (interpreter start, imports, open, paint): median "
            f"{statistics.median(f[0] for f in fresh):.3f} s, min {min(f[0] for f in fresh):.3f} s, max "
            f"{max(f[0] for f in fresh):.3f} s over {len(fresh)} runs; CPU time of the process: median "
            f"{statistics.median(f[1] for f in fresh):.3f} s"
        )
        print(
            f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs"
        )


def _paint_in_new_process(url: str) -> tuple[float, float]:
    """Wall seconds from just before starting a new Python process to its first painted rows, and the
    CPU seconds that process used by then."""
    start = time.time()
    done = subprocess.run(
        [sys.executable, __file__, "--child", "--storage", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    fields = done.stdout.split()
    return float(fields[fields.index("painted-at") + 1]) - start, float(fields[fields.index("cpu") + 1])


if __name__ == "__main__":
    main()

"""Storage speed and multi-worker correctness, ragtune next to Optuna 5.0 (pip install '.[bench]').

1. One process, 1,000 trials of a trivial 10-parameter objective (RandomSampler): ms/trial of
   ragtune on a DuckDB file vs Optuna on an SQLite file, in the same folder, alternating runs.
2. Loading a 10,000-trial DuckDB study into a DataFrame in a fresh process (open + load_study +
   trials_dataframe).
3. PostgreSQL (with --postgres URL): W worker processes share one study of N trials in all;
   trials/s for ragtune and for Optuna's RDB storage on the same server, and for ragtune the counts
   of errors, duplicate numbers, gaps and lost trials.

Run: python benchmarks/storage.py [--trials 1000] [--repeats 3] [--dataframe-trials 10000]
         [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test] [--workers 16] [--pg-trials 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

N_PARAMS = 10


# -- worker side (this script started again with --worker) ----------------------------------------
def _ragtune_objective(trial: Any) -> float:
    return float(sum(trial.suggest_float(f"x{i}", -5.0, 5.0) for i in range(N_PARAMS)))


def _worker(lib: str, url: str, study: str, n_trials: int, go_file: str) -> None:
    """Open the storage, wait for the go file, run ``n_trials`` trials (this worker's share)."""
    if lib == "ragtune":
        import ragtune as rt
        from ragtune.samplers import RandomSampler

        st: Any = rt.load_study(study_name=study, storage=url, sampler=RandomSampler())
        objective: Any = _ragtune_objective
    else:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        st = optuna.load_study(study_name=study, storage=url, sampler=optuna.samplers.RandomSampler())

        def objective(trial: Any) -> float:
            return float(sum(trial.suggest_float(f"x{i}", -5.0, 5.0) for i in range(N_PARAMS)))

    print("READY", flush=True)
    while not os.path.exists(go_file):
        time.sleep(0.005)
    ran: list[int] = []
    errors: list[str] = []
    try:
        st.optimize(objective, n_trials=n_trials, callbacks=[lambda _, frozen: ran.append(frozen.number)])
    except Exception as e:
        errors.append(f"{type(e).__name__}: {e}")
    print(json.dumps({"ran": ran, "errors": errors, "end": time.time()}), flush=True)


# -- 1. one process on a file ------------------------------------------------------------------
def ragtune_file(folder: Path, n_trials: int, query: str = "") -> tuple[float, float]:
    import ragtune as rt
    from ragtune.samplers import RandomSampler

    path = folder / f"rt-{uuid.uuid4().hex[:8]}.duckdb"
    storage = rt.storage.SQLStorage(f"duckdb:///{path}{query}")
    study = rt.create_study(storage=storage, sampler=RandomSampler(seed=0))
    start, cpu = time.perf_counter(), time.process_time()
    study.optimize(_ragtune_objective, n_trials=n_trials)
    took = ((time.perf_counter() - start) / n_trials * 1e3, (time.process_time() - cpu) / n_trials * 1e3)
    storage.close()
    return took


def optuna_file(folder: Path, n_trials: int) -> tuple[float, float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    path = folder / f"optuna-{uuid.uuid4().hex[:8]}.sqlite"
    study = optuna.create_study(storage=f"sqlite:///{path}", sampler=optuna.samplers.RandomSampler(seed=0))

    def objective(trial: Any) -> float:
        return float(sum(trial.suggest_float(f"x{i}", -5.0, 5.0) for i in range(N_PARAMS)))

    start, cpu = time.perf_counter(), time.process_time()
    study.optimize(objective, n_trials=n_trials)
    return (time.perf_counter() - start) / n_trials * 1e3, (time.process_time() - cpu) / n_trials * 1e3


# -- 2. a big study into a DataFrame -----------------------------------------------------------
def build_big_study(path: Path, n_trials: int) -> None:
    import ragtune as rt
    from ragtune.samplers import RandomSampler

    storage = rt.storage.SQLStorage(f"duckdb:///{path}?fsync_mode=none")  # building is not measured
    study = rt.create_study(storage=storage, study_name="big", sampler=RandomSampler(seed=0))
    study.optimize(_ragtune_objective, n_trials=n_trials)
    storage.close()


_LOAD = """
import sys, time
t0 = time.perf_counter()
import ragtune as rt
t1 = time.perf_counter()
storage = rt.storage.SQLStorage(f"duckdb:///{sys.argv[1]}")
study = rt.load_study(study_name="big", storage=storage)
t2 = time.perf_counter()
c2 = time.process_time()
df = study.trials_dataframe()
t3 = time.perf_counter()
c3 = time.process_time()
df = study.trials_dataframe()
t4 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2, t4 - t3, c3 - c2, len(df))
"""


def load_big_study(path: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", _LOAD, str(path)], capture_output=True, text=True, check=True)
    imp, open_, first, again, first_cpu, rows = out.stdout.split()
    return {
        "import ragtune": float(imp),
        "open + load_study": float(open_),
        "trials_dataframe (reads the file)": float(first),
        "its CPU time": float(first_cpu),
        "trials_dataframe again (cached)": float(again),
        "rows": float(rows),
    }


# -- 3. PostgreSQL with many workers -----------------------------------------------------------
def _schema_url(url: str, schema: str) -> str:
    """``url`` with connections inside ``schema`` (both libraries name their tables "trials"...)."""
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


def _pg_run(lib: str, url: str, workers: int, n_trials: int) -> dict[str, Any]:
    import sqlalchemy as sa

    study = f"bench-{lib}"
    schema = f"bench_{lib}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    worker_url = _schema_url(url, schema)
    try:
        return _pg_timed(lib, worker_url, study, workers, n_trials)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def _pg_timed(lib: str, worker_url: str, study: str, workers: int, n_trials: int) -> dict[str, Any]:
    if lib == "ragtune":
        import ragtune as rt

        storage = rt.storage.SQLStorage(worker_url)
        rt.create_study(storage=storage, study_name=study)
        storage.close()
    else:
        import optuna

        # Optuna's RDB storage through SQLAlchemy with the same driver (psycopg 3).
        optuna.create_study(storage=worker_url, study_name=study)
    go = Path(tempfile.gettempdir()) / f"go-{uuid.uuid4().hex}"
    shares = [n_trials // workers + (i < n_trials % workers) for i in range(workers)]
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", lib, worker_url, study, str(share), str(go)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for share in shares
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "READY"
    start = time.time()
    go.touch()
    reports = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
    go.unlink()
    end = max(r["end"] for r in reports)
    result: dict[str, Any] = {"seconds": end - start, "errors": sum(len(r["errors"]) for r in reports)}
    result["first errors"] = [e for r in reports for e in r["errors"]][:3]
    if lib == "ragtune":
        import ragtune as rt
        from ragtune.core.trial_state import TrialState

        storage = rt.storage.SQLStorage(worker_url)
        trials = rt.load_study(study_name=study, storage=storage).trials
        storage.close()
        numbers = [t.number for t in trials]
        complete = [t for t in trials if t.state is TrialState.COMPLETE]
        ran = [n for r in reports for n in r["ran"]]
        result.update(
            trials=len(trials),
            complete=len(complete),
            duplicates=len(numbers) - len(set(numbers)),
            gaps=(max(numbers) + 1 - len(set(numbers))) if numbers else 0,
            lost=len(set(ran) - {t.number for t in complete}),
            run_twice=len(ran) - len(set(ran)),
        )
    else:
        import optuna

        theirs = optuna.load_study(study_name=study, storage=worker_url).trials
        numbers = [t.number for t in theirs]
        result.update(
            trials=len(theirs),
            complete=sum(t.state == optuna.trial.TrialState.COMPLETE for t in theirs),
            duplicates=len(numbers) - len(set(numbers)),
        )
    result["trials/s"] = result["complete"] / result["seconds"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dataframe-trials", type=int, default=10000)
    parser.add_argument("--postgres", default=os.environ.get("RAGTUNE_TEST_POSTGRES_URL"))
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--pg-trials", type=int, default=2000)
    parser.add_argument("--skip", default="", help="comma-separated: file,dataframe,postgres")
    parser.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        lib, url, study, n, go = args.worker
        _worker(lib, url, study, int(n), go)
        return
    skip = set(filter(None, args.skip.split(",")))
    print(
        f"date: {time.strftime('%Y-%m-%d %H:%M')}; machine: {platform.machine()}, {os.cpu_count()} cores, ",
        end="",
    )
    print(f"python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}")
    folder = Path(tempfile.mkdtemp(prefix="ragtune-bench-", dir=os.environ.get("BENCH_DIR")))
    if "file" not in skip:
        runs: dict[str, list[tuple[float, float]]] = {
            "ragtune": [],
            "ragtune fsync_mode=none": [],
            "optuna": [],
        }
        for _ in range(args.repeats):  # alternate, so load on the machine hits all alike
            runs["ragtune"].append(ragtune_file(folder, args.trials))
            runs["ragtune fsync_mode=none"].append(ragtune_file(folder, args.trials, "?fsync_mode=none"))
            runs["optuna"].append(optuna_file(folder, args.trials))
        print(f"\n1. one process, {args.trials} trials x {N_PARAMS} params, files in {folder}")
        for name, got in runs.items():
            print(
                f"   {name}: wall ms/trial {[round(w, 2) for w, _ in got]}, CPU ms/trial {[round(c, 2) for _, c in got]}"
            )
        theirs = runs["optuna"]
        for name in ("ragtune", "ragtune fsync_mode=none"):
            mine = runs[name]
            for i, what in ((0, "wall"), (1, "CPU")):
                a, b = min(x[i] for x in mine), min(x[i] for x in theirs)
                print(
                    f"   {name} vs Optuna SQLite, {what} (best of {args.repeats}): {a:.2f} vs {b:.1f} ms -> {b / a:.1f}x"
                )
    if "dataframe" not in skip:
        path = folder / "big.duckdb"
        build_big_study(path, args.dataframe_trials)
        loads = [load_big_study(path) for _ in range(args.repeats)]
        best = {k: min(r[k] for r in loads) for k in loads[0]}
        print(
            f"\n2. fresh process, {args.dataframe_trials}-trial DuckDB study (best of {args.repeats}, seconds):"
        )
        print("   " + ", ".join(f"{k} {v:.3f}" for k, v in best.items() if k != "rows"))
    if "postgres" not in skip and args.postgres:
        print(f"\n3. PostgreSQL, {args.workers} worker processes, {args.pg_trials} trials in all")
        for lib in ("ragtune", "optuna"):
            r = _pg_run(lib, args.postgres, args.workers, args.pg_trials)
            print(
                f"   {lib}: "
                + ", ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items())
            )


if __name__ == "__main__":
    main()

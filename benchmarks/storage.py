"""Storage speed and multi-worker correctness, ragtune next to Optuna 5.x (pip install '.[bench]').

1. One process, 1,000 trials of a trivial 10-parameter objective (RandomSampler): ms/trial of
   ragtune on a DuckDB file vs Optuna on an SQLite file, in the same folder, alternating runs;
   and DuckDB's own floor for a durable per-trial write on the driver (one transaction holding a
   one-row insert; and one holding a trial's rows in tables shaped like ragtune's), which bounds
   the ratio a per-trial-commit DuckDB storage can reach.
2. A study into a pandas DataFrame, cold (a fresh process: open the storage, load_study,
   trials_dataframe; importing the libraries, pandas and the database driver, timed apart) and
   warm (trials_dataframe again):
   a. the 1,000-trial studies of part 1, ragtune DuckDB next to Optuna SQLite;
   b. a 10,000-trial study on DuckDB and (with --postgres) on PostgreSQL.
3. PostgreSQL (with --postgres URL): W worker processes share one study of N trials in all;
   trials/s for ragtune and for Optuna's RDB storage on the same server, and for ragtune the counts
   of errors, duplicate numbers, gaps and lost trials.

Run: python benchmarks/storage.py [--trials 1000] [--repeats 3] [--dataframe-trials 10000]
         [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test] [--workers 16] [--pg-trials 2000]
"""

from __future__ import annotations

import argparse
import compileall
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
    study = rt.create_study(storage=storage, study_name="big", sampler=RandomSampler(seed=0))
    start, cpu = time.perf_counter(), time.process_time()
    study.optimize(_ragtune_objective, n_trials=n_trials)
    took = ((time.perf_counter() - start) / n_trials * 1e3, (time.process_time() - cpu) / n_trials * 1e3)
    storage.close()
    return took


def optuna_file(folder: Path, n_trials: int) -> tuple[float, float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    path = folder / f"optuna-{uuid.uuid4().hex[:8]}.sqlite"
    study = optuna.create_study(
        storage=f"sqlite:///{path}", study_name="big", sampler=optuna.samplers.RandomSampler(seed=0)
    )

    def objective(trial: Any) -> float:
        return float(sum(trial.suggest_float(f"x{i}", -5.0, 5.0) for i in range(N_PARAMS)))

    start, cpu = time.perf_counter(), time.process_time()
    study.optimize(objective, n_trials=n_trials)
    return (time.perf_counter() - start) / n_trials * 1e3, (time.process_time() - cpu) / n_trials * 1e3


_FLOOR_TABLES = (
    "CREATE TABLE t (trial_id BIGINT, study_id BIGINT, number BIGINT, state VARCHAR, "
    "datetime_start TIMESTAMP, datetime_complete TIMESTAMP, fail_reason VARCHAR, finish_seq BIGINT)",
    "CREATE TABLE p (trial_id BIGINT, name VARCHAR, value DOUBLE, value_json VARCHAR, distribution VARCHAR)",
    "CREATE TABLE v (trial_id BIGINT, objective INTEGER, value DOUBLE)",
)


FLOORS = (
    ("DuckDB floor: BEGIN, 1-row INSERT, COMMIT", False, "any storage that commits each trial to DuckDB"),
    ("DuckDB floor: BEGIN, a trial's 3 INSERTs (12 rows), COMMIT", True, "this schema, one commit per trial"),
)
"""(label, ``whole_trial``, what its ceiling bounds) of each :func:`duckdb_commit_floor` run."""


def duckdb_commit_floor(folder: Path, n_trials: int, *, whole_trial: bool) -> float:
    """ms per durable write straight on the ``duckdb`` driver: DuckDB's own floor, no ragtune.

    One transaction per trial, the storage's setting (one DuckDB thread). ``whole_trial``: the rows
    a finished trial needs in tables shaped like ragtune's (a trial row, 10 param rows, a value row;
    three INSERTs); else a single one-row INSERT, the least any per-trial commit can cost.
    """
    import datetime as dt

    import duckdb

    con = duckdb.connect(str(folder / f"floor-{uuid.uuid4().hex[:8]}.duckdb"))
    try:
        con.execute("SET threads = 1")
        for ddl in _FLOOR_TABLES:
            con.execute(ddl)
        names = [f"x{j}" for j in range(N_PARAMS)]
        dist = ['{"FloatDistribution": {"low": -5.0, "high": 5.0}}'] * N_PARAMS
        start = time.perf_counter()
        for i in range(n_trials):
            con.execute("BEGIN TRANSACTION")
            if whole_trial:
                now = dt.datetime.now()
                con.execute("INSERT INTO t VALUES (?, 1, ?, 'COMPLETE', ?, ?, NULL, ?)", [i, i, now, now, i])
                con.execute(
                    "INSERT INTO p SELECT unnest(?::BIGINT[]), unnest(?::VARCHAR[]), unnest(?::DOUBLE[]), "
                    "unnest(?::VARCHAR[]), unnest(?::VARCHAR[])",
                    [[i] * N_PARAMS, names, [0.5] * N_PARAMS, ["0.5"] * N_PARAMS, dist],
                )
            con.execute("INSERT INTO v VALUES (?, 0, ?)", [i, 1.0])
            con.execute("COMMIT")
        return (time.perf_counter() - start) / n_trials * 1e3
    finally:
        con.close()


# -- 2. a study into a DataFrame ------------------------------------------------------------------
def build_big_study(url: str, n_trials: int) -> None:
    """A study named "big" of ``n_trials`` trials at ``url``, unless it is there already."""
    import ragtune as rt
    from ragtune.samplers import RandomSampler

    storage = rt.storage.SQLStorage(url)
    try:
        if {s.study_name: s.n_trials for s in storage.get_all_studies()}.get("big") == n_trials:
            return
        if any(s.study_name == "big" for s in storage.get_all_studies()):
            rt.delete_study(study_name="big", storage=storage)
        study = rt.create_study(storage=storage, study_name="big", sampler=RandomSampler(seed=0))
        study.optimize(_ragtune_objective, n_trials=n_trials)
    finally:
        storage.close()


_LOAD = """
import sys, time
lib, url = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
import pandas
import sqlalchemy
if lib == "ragtune":
    import ragtune as rt
    import ragtune.storage.sql
    if url.startswith("duckdb"):
        import duckdb, duckdb_engine  # imported when the first file opens: an import, not the open
    else:
        import psycopg
    def open_study():
        return rt.load_study(study_name="big", storage=rt.storage.SQLStorage(url))
else:
    import optuna
    import optuna.storages
    import sqlite3
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    def open_study():
        return optuna.load_study(study_name="big", storage=url)
t1, c1 = time.perf_counter(), time.process_time()
study = open_study()
t2 = time.perf_counter()
df = study.trials_dataframe()
t3, c3 = time.perf_counter(), time.process_time()
df = study.trials_dataframe()
t4 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2, t3 - t1, c3 - c1, t4 - t3, len(df))
"""
_LOAD_KEYS = (
    "import",
    "open + load_study",
    "first trials_dataframe",
    "cold total",
    "cold CPU",
    "warm",
    "rows",
)


def load_dataframe(lib: str, url: str) -> dict[str, float]:
    """Seconds for each step of loading study "big" at ``url`` in a fresh process."""
    out = subprocess.run([sys.executable, "-c", _LOAD, lib, url], capture_output=True, text=True, check=True)
    return dict(zip(_LOAD_KEYS, map(float, out.stdout.split()), strict=True))


def dataframe_rows(cases: dict[str, tuple[str, str]], repeats: int) -> dict[str, dict[str, float]]:
    """Median over ``repeats`` fresh processes per case, the cases alternating."""
    import statistics

    got: dict[str, list[dict[str, float]]] = {name: [] for name in cases}
    for _ in range(repeats):
        for name, (lib, url) in cases.items():
            got[name].append(load_dataframe(lib, url))
    return {
        name: {k: statistics.median(r[k] for r in runs) for k in _LOAD_KEYS} for name, runs in got.items()
    }


def print_dataframe_rows(rows: dict[str, dict[str, float]]) -> None:
    for name, r in rows.items():
        print(
            f"   {name}: import {r['import']:.3f}, open + load_study {r['open + load_study']:.3f}, "
            f"trials_dataframe {r['first trials_dataframe']:.3f} -> cold {r['cold total']:.3f} "
            f"(CPU {r['cold CPU']:.3f}), warm {r['warm']:.3f}, rows {int(r['rows'])}"
        )


# -- 3. PostgreSQL with many workers -----------------------------------------------------------
def _schema_url(url: str, schema: str) -> str:
    """``url`` with connections inside ``schema`` (both libraries name their tables "trials"...)."""
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


def _create_schema(url: str, schema: str) -> None:
    import sqlalchemy as sa

    admin = sa.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
    admin.dispose()


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
    parser.add_argument("--folder", type=Path, help="reuse this folder's files (part 1's, big.duckdb)")
    parser.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        lib, url, study, n, go = args.worker
        _worker(lib, url, study, int(n), go)
        return
    # Bytecode as an installed package has it: where PYTHONDONTWRITEBYTECODE is set (this machine),
    # an editable install would compile ragtune's modules from source in every process.
    compileall.compile_dir(Path(__file__).resolve().parent.parent / "ragtune", quiet=1)
    skip = set(filter(None, args.skip.split(",")))
    print(
        f"date: {time.strftime('%Y-%m-%d %H:%M')}; machine: {platform.machine()}, {os.cpu_count()} cores, ",
        end="",
    )
    print(f"python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}")
    folder = args.folder or Path(tempfile.mkdtemp(prefix="ragtune-bench-", dir=os.environ.get("BENCH_DIR")))
    if "file" not in skip:
        runs: dict[str, list[tuple[float, float]]] = {
            "ragtune": [],
            "ragtune fsync_mode=none": [],
            "optuna": [],
            **{name: [] for name, _, _ in FLOORS},
        }
        for _ in range(args.repeats):  # alternate, so load on the machine hits all alike
            runs["ragtune"].append(ragtune_file(folder, args.trials))
            runs["ragtune fsync_mode=none"].append(ragtune_file(folder, args.trials, "?fsync_mode=none"))
            runs["optuna"].append(optuna_file(folder, args.trials))
            for name, whole, _ in FLOORS:
                floor = duckdb_commit_floor(folder, args.trials, whole_trial=whole)
                runs[name].append((floor, floor))
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
        best = min(w for w, _ in theirs)
        for name, _, what in FLOORS:
            floor = min(w for w, _ in runs[name])
            print(
                f"   ceiling on the ratio for {what}: {best:.1f} / {floor:.2f} ms -> {best / floor:.1f}x "
                "(no Python work per trial)"
            )
    if "dataframe" not in skip:
        ours = sorted(folder.glob("rt-*.duckdb"))
        theirs_files = sorted(folder.glob("optuna-*.sqlite"))
        if ours and theirs_files:
            print(
                f"\n2a. {args.trials}-trial studies of part 1 into a DataFrame (median of {args.repeats}, s)"
            )
            rows = dataframe_rows(
                {
                    "ragtune DuckDB": ("ragtune", f"duckdb:///{ours[0]}"),
                    "Optuna SQLite": ("optuna", f"sqlite:///{theirs_files[0]}"),
                },
                args.repeats,
            )
            print_dataframe_rows(rows)
            a, b = rows["ragtune DuckDB"], rows["Optuna SQLite"]
            print(
                f"   ratios (Optuna / ragtune): cold {b['cold total'] / a['cold total']:.1f}x, "
                f"warm {b['warm'] / a['warm']:.1f}x"
            )
        n = args.dataframe_trials
        cases = {"ragtune DuckDB": ("ragtune", f"duckdb:///{folder / 'big.duckdb'}")}
        build_big_study(f"duckdb:///{folder / 'big.duckdb'}?fsync_mode=none", n)  # not measured
        if args.postgres:
            pg_url = _schema_url(args.postgres, "bench_dataframe")
            _create_schema(args.postgres, "bench_dataframe")
            build_big_study(pg_url, n)  # kept in schema bench_dataframe for the next run
            cases["ragtune PostgreSQL"] = ("ragtune", pg_url)
        print(f"\n2b. {n}-trial study into a DataFrame (median of {args.repeats}, s)")
        print_dataframe_rows(dataframe_rows(cases, args.repeats))
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

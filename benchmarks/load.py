"""Load: many worker processes share one study on PostgreSQL (run by hand; CI never runs it).

N worker processes (default 32) run a study of T trials (default 5,000) whose objective sleeps 10 ms.
The study lives in a fresh schema (dropped afterwards unless --keep). Measured:

- throughput: finished trials per second of wall time, from the moment every worker is connected
  until the last one is done (and including start-up, for reference);
- errors: exceptions in workers, trials not COMPLETE, gaps or duplicates in trial numbers (want 0);
- database CPU: user + system seconds, from /proc, of the server processes that served this run (the
  workers' backends, found by their application_name in pg_stat_activity, plus the server's background
  processes: WAL writer, checkpointer, ...), sampled every 0.2 s; only when the server runs on this
  host. The whole server's CPU (every client, e.g. other jobs on a shared server) is shown next to it;
- worker CPU (all worker processes, user + system, after start-up) per trial;
- worker memory: each worker's RSS at its first trial, when the study passed 1,000 trials and at its
  last trial (near T), to show whether a worker grows with the study.

Run:
    python benchmarks/load.py --url postgresql+psycopg://postgres@127.0.0.1:5432/test
    python benchmarks/load.py --workers 4 --trials 400          # a quick smoke run
Options: --objective-ms 10, --sampler random|tpe (default random: it isolates storage cost),
--json results.json (machine-readable results), --keep (keep the schema for inspection).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CLK_TCK = os.sysconf("SC_CLK_TCK")
RSS_MARK = 1000  # the study size at which a worker's RSS is sampled once more


# -- worker side ---------------------------------------------------------------------------------


def rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def run_worker(args: argparse.Namespace) -> int:
    import ragtune as rt
    from ragtune.storage import SQLStorage

    storage = SQLStorage(args.url)
    if args.sampler == "tpe":
        from ragtune.samplers import TPESampler

        sampler: Any = TPESampler(seed=args.seed)
    else:
        from ragtune.samplers import RandomSampler

        sampler = RandomSampler(seed=args.seed)
    study = rt.load_study(study_name=args.study, storage=storage, sampler=sampler)
    sleep = args.objective_ms / 1000.0

    def objective(trial: rt.Trial) -> float:
        x = trial.suggest_float("x", -5.0, 5.0)
        y = trial.suggest_int("y", 0, 100)
        kind = trial.suggest_categorical("kind", ["bm25", "dense", "hybrid"])
        time.sleep(sleep)
        return x * x + y / 100.0 + (0.5 if kind == "dense" else 0.0)

    marks: dict[str, Any] = {}

    def note(_: Any, frozen: Any) -> None:
        if "first" not in marks:
            marks["first"] = (frozen.number, rss_kb())
        if frozen.number >= RSS_MARK and "at_1k" not in marks:
            marks["at_1k"] = (frozen.number, rss_kb())
        marks["last"] = (frozen.number, rss_kb())

    print(json.dumps({"event": "ready"}), flush=True)
    sys.stdin.readline()  # start together, once every worker is connected
    before = resource.getrusage(resource.RUSAGE_SELF)
    errors: list[str] = []
    start = time.perf_counter()
    try:
        study.optimize(objective, n_trials=args.share, callbacks=[note])
    except Exception as e:  # counted and reported by the parent
        errors.append(f"{type(e).__name__}: {e}")
    seconds = time.perf_counter() - start
    storage.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "event": "done",
                "errors": errors,
                "seconds": seconds,
                "marks": marks,
                "cpu_s": usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime,
                "max_rss_kb": usage.ru_maxrss,
            }
        ),
        flush=True,
    )
    return 0


# -- the database server's CPU -------------------------------------------------------------------


def _stat(pid: str) -> tuple[str, int, float, float] | None:
    """(comm, ppid, own CPU s, CPU s of reaped children) of one process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    comm = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    ppid = int(fields[1])
    own = (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime
    children = (int(fields[13]) + int(fields[14])) / CLK_TCK  # cutime, cstime
    return comm, ppid, own, children


def postgres_cpu_seconds() -> float | None:
    """CPU seconds used so far by the PostgreSQL server on this host (None when none is found).

    Live server processes count their own time; backends that already exited count through the
    postmaster's cutime/cstime, which the kernel adds when the postmaster reaps them.
    """
    procs = {}
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            st = _stat(pid)
            if st is not None and st[0].startswith("postgres"):
                procs[int(pid)] = st
    if not procs:
        return None
    total = 0.0
    for _pid, (_comm, ppid, own, children) in procs.items():
        total += own
        if ppid not in procs:  # the postmaster
            total += children
    return total


class ServerCPU:
    """Samples the CPU of the server processes serving ``application_name`` (and background ones)."""

    def __init__(self, admin_url: str, application_name: str) -> None:
        import threading

        import sqlalchemy as sa

        self._engine = sa.create_engine(admin_url, pool_size=1)
        self._app = application_name
        self._base: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._lock = threading.Lock()
        self._armed = False
        self.waits: dict[str, int] = {}  # what the workers' backends were doing, counted over the samples

    def _pids(self) -> list[int]:
        import sqlalchemy as sa

        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT pid, application_name = :app, state, wait_event_type, wait_event FROM pg_stat_activity "
                    "WHERE application_name = :app OR backend_type NOT IN ('client backend', 'parallel worker')"
                ),
                {"app": self._app},
            ).all()
        with self._lock:
            for _pid, ours, state, kind, event in rows:
                if ours:  # what the workers' backends are doing at this instant
                    what = (
                        "idle (waiting for the client)"
                        if state != "active"
                        else (f"{kind}:{event}" if kind else "running on CPU")
                    )
                    self.waits[what] = self.waits.get(what, 0) + 1
        return [int(r[0]) for r in rows]

    def sample(self) -> None:
        pids = self._pids()
        with self._lock:
            for pid in pids:
                st = _stat(str(pid))
                if st is None:
                    continue
                if pid not in self._base:
                    self._base[pid] = st[2] if not self._armed else 0.0
                self._last[pid] = st[2]

    def start(self) -> None:
        self.sample()  # processes alive now count from here on
        self._armed = True
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(0.2):
            with contextlib.suppress(Exception):  # a missed sample only loses precision
                self.sample()

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        self.sample()
        self._engine.dispose()
        with self._lock:
            return sum(self._last[p] - self._base[p] for p in self._last)


# -- parent side ---------------------------------------------------------------------------------


@dataclass
class Worker:
    proc: subprocess.Popen[str]
    share: int
    ready: bool = False
    result: dict[str, Any] | None = None


def setup_schema(url: str, schema: str) -> str:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def drop_schema(url: str, schema: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def read_line(worker: Worker) -> dict[str, Any] | None:
    assert worker.proc.stdout is not None
    line = worker.proc.stdout.readline()
    return json.loads(line) if line.strip() else None


def run(args: argparse.Namespace) -> dict[str, Any]:
    import ragtune as rt
    from ragtune.storage import SQLStorage

    load_before = os.getloadavg()
    schema = f"ragtune_load_{uuid.uuid4().hex[:10]}"
    app_name = schema.replace("_", "-")
    url = setup_schema(args.url, schema)
    worker_url = f"{url}&application_name={app_name}"
    study_name = "load"
    storage = SQLStorage(url)
    rt.create_study(storage=storage, study_name=study_name)
    shares = [args.trials // args.workers + (i < args.trials % args.workers) for i in range(args.workers)]

    cpu0, t0 = postgres_cpu_seconds(), time.perf_counter()
    workers = [
        Worker(
            subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--role",
                    "worker",
                    "--url",
                    worker_url,
                    "--study",
                    study_name,
                    "--share",
                    str(share),
                    "--seed",
                    str(i),
                    "--sampler",
                    args.sampler,
                    "--objective-ms",
                    str(args.objective_ms),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            ),
            share,
        )
        for i, share in enumerate(shares)
    ]
    for w in workers:
        msg = read_line(w)
        w.ready = msg is not None and msg.get("event") == "ready"
    ours = ServerCPU(args.url, app_name) if cpu0 is not None else None
    if ours is not None:
        ours.start()
    cpu1, t1 = postgres_cpu_seconds(), time.perf_counter()  # every worker connected: the timed part starts
    for w in workers:
        assert w.proc.stdin is not None
        w.proc.stdin.write("go\n")
        w.proc.stdin.flush()
    for w in workers:
        w.result = read_line(w)
    cpu2, t2 = postgres_cpu_seconds(), time.perf_counter()
    db_cpu = ours.stop() if ours is not None else None
    waits = dict(sorted((ours.waits if ours is not None else {}).items(), key=lambda kv: -kv[1]))
    for w in workers:
        w.proc.wait()
    worker_cpu = sum(float((w.result or {}).get("cpu_s", 0.0)) for w in workers)  # trial time, no start-up

    trials = storage.get_all_trials(storage.get_study_id_from_name(study_name))
    storage.close()
    if not args.keep:
        drop_schema(args.url, schema)

    numbers = [t.number for t in trials]
    states: dict[str, int] = {}
    for t in trials:
        states[t.state.name] = states.get(t.state.name, 0) + 1
    worker_errors = [e for w in workers for e in (w.result["errors"] if w.result else ["no result"])]
    not_ready = sum(not w.ready for w in workers)
    bad_exit = sum(w.proc.returncode != 0 for w in workers)
    errors = (
        len(worker_errors)
        + not_ready
        + bad_exit
        + sum(v for k, v in states.items() if k != "COMPLETE")
        + (numbers != list(range(len(numbers))))
        + (len(trials) != args.trials)
    )
    marks = [(w.result or {}).get("marks", {}) for w in workers]

    def rss(key: str) -> list[int]:
        return sorted(m[key][1] for m in marks if key in m)

    def at(key: str) -> list[int]:
        return sorted(m[key][0] for m in marks if key in m)

    wall = t2 - t1
    server_cpu = None if cpu1 is None or cpu2 is None else cpu2 - cpu1
    return {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{os.cpu_count()} CPUs, {platform.machine()}, Linux {platform.release()}, "
        f"Python {platform.python_version()}",
        "load_average_before": load_before,
        "workers": args.workers,
        "trials": args.trials,
        "objective_ms": args.objective_ms,
        "sampler": args.sampler,
        "wall_s": wall,
        "startup_s": t1 - t0,
        "trials_per_s": len(trials) / wall,
        "trials_per_s_with_startup": len(trials) / (t2 - t0),
        "errors": errors,
        "worker_errors": worker_errors[:10],
        "states": states,
        "numbers_gap_free": numbers == list(range(len(numbers))),
        "db_cpu_s": db_cpu,
        "server_cpu_all_clients_s": server_cpu,
        "backend_states": waits,
        "db_cores_busy": None if db_cpu is None else db_cpu / wall,
        "db_cpu_ms_per_trial": None if db_cpu is None else db_cpu / len(trials) * 1e3,
        "worker_cpu_s": worker_cpu,
        "worker_cpu_ms_per_trial": worker_cpu / max(1, len(trials)) * 1e3,
        "rss_first_kb": rss("first"),
        "rss_at_1k_kb": rss("at_1k"),
        "rss_last_kb": rss("last"),
        "rss_at_1k_numbers": at("at_1k"),
        "rss_last_numbers": at("last"),
    }


def median(xs: list[int]) -> float:
    return float(sorted(xs)[len(xs) // 2]) if xs else float("nan")


def report(r: dict[str, Any]) -> str:
    mb = 1024.0
    db = (
        f"{r['db_cpu_s']:.1f} s ({r['db_cores_busy']:.2f} cores busy on average, "
        f"{r['db_cpu_ms_per_trial']:.2f} ms per trial); the whole server, all clients: "
        f"{r['server_cpu_all_clients_s']:.1f} s"
        if r["db_cpu_s"] is not None
        else "n/a (server not on this host)"
    )
    return "\n".join(
        [
            f"- {r['workers']} workers x {r['trials']} trials, objective {r['objective_ms']} ms, "
            f"sampler {r['sampler']}; {r['machine']}; load average before {r['load_average_before'][0]:.1f}",
            f"- throughput: **{r['trials_per_s']:.1f} trials/s** ({r['wall_s']:.1f} s once all workers were "
            f"connected; {r['trials_per_s_with_startup']:.1f} trials/s with the {r['startup_s']:.1f} s start-up)",
            f"- errors: **{r['errors']}** (states {r['states']}, numbers gap-free: {r['numbers_gap_free']})",
            f"- database CPU: {db}",
            f"- worker CPU: {r['worker_cpu_s']:.1f} s in all ({r['worker_cpu_ms_per_trial']:.1f} ms per trial)",
            "- the workers' backends, sampled every 0.2 s: "
            + (
                ", ".join(
                    f"{k} {v / max(1, sum(r['backend_states'].values())):.0%}"
                    for k, v in list(r["backend_states"].items())[:6]
                )
                or "n/a"
            ),
            f"- worker RSS (median / max over workers): first trial {median(r['rss_first_kb']) / mb:.1f} / "
            f"{max(r['rss_first_kb'] or [0]) / mb:.1f} MiB; study at ~1k trials "
            f"{median(r['rss_at_1k_kb']) / mb:.1f} / {max(r['rss_at_1k_kb'] or [0]) / mb:.1f} MiB; "
            f"last trial (study at {min(r['rss_last_numbers'] or [0])}-{max(r['rss_last_numbers'] or [0])}) "
            f"{median(r['rss_last_kb']) / mb:.1f} / {max(r['rss_last_kb'] or [0]) / mb:.1f} MiB",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--role", choices=["parent", "worker"], default="parent", help=argparse.SUPPRESS)
    parser.add_argument(
        "--url",
        default=os.environ.get(
            "RAGTUNE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--trials", type=int, default=5000)
    parser.add_argument("--objective-ms", type=float, default=10.0)
    parser.add_argument("--sampler", choices=["random", "tpe"], default="random")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--study", help=argparse.SUPPRESS)
    parser.add_argument("--share", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "worker":
        return run_worker(args)
    result = run(args)
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2))
    print(report(result))
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())

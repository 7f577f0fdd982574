"""A worker process that runs trials and can SIGKILL itself at a chosen point (run by the tests as a script).

Usage: ``python trial_worker.py URL STUDY [--n N] [--sleep S] [--die-at POINT] [--die-after K] ...``

It prints ``READY`` once the study is open, ``DONE <number> <value>`` after each trial it finished as
COMPLETE (the value is stored by then), and ``EXIT 0`` or ``ERROR <type>: <message>`` at the end.
The objective's value is a pure function of the params (:func:`value_of`), so a test can check that
every stored value belongs to its own trial.

Points where ``--die-at`` kills the process on the K-th occurrence (counted after READY):
  ask          after ask() created or claimed the trial (a RUNNING row with no params yet)
  param        after the first param of the trial was stored
  objective    inside the objective, after it reported intermediate values and set a user attr
  tell-before  in tell(), just before the storage finishes the trial
  tell-after   just after the storage finished the trial (stored, not yet announced with DONE)
  commit       just before a database transaction is committed (mid-write)
  statement    just before a SQL statement is sent (any storage call: ask, params, heartbeat, tell)
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from typing import Any

POINTS = ("ask", "param", "objective", "tell-before", "tell-after", "commit", "statement")
OFFSET = {"bm25": 0.0, "dense": 0.1, "hybrid": 0.2}


def value_of(params: dict[str, Any]) -> float:
    return float(params["x"]) ** 2 + int(params["k"]) / 64.0 + OFFSET[str(params["kind"])]


class Killer:
    """Counts occurrences of the chosen point once armed, and SIGKILLs the process on the K-th."""

    def __init__(self, point: str | None, after: int) -> None:
        self.point, self.after, self.seen, self.armed = point, after, 0, False

    def hit(self, point: str) -> None:
        if not self.armed or point != self.point:
            return
        self.seen += 1
        if self.seen >= self.after:
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)


def install_hooks(killer: Killer) -> None:
    import sqlalchemy as sa

    from ragtune.core.study import Study
    from ragtune.storage.sql import duckdb_file
    from ragtune.storage.sql.storage import SQLStorage

    sa.event.listen(sa.engine.Engine, "commit", lambda conn: killer.hit("commit"))
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", lambda *a: killer.hit("statement"))

    class RawProxy:
        """DuckDB's hot path talks to the driver connection directly: count its statements too."""

        def __init__(self, raw: Any) -> None:
            self._raw = raw

        def execute(self, sql: str, *args: Any) -> Any:
            killer.hit("commit" if sql.strip().upper() == "COMMIT" else "statement")
            return self._raw.execute(sql, *args)

        def __getattr__(self, name: str) -> Any:
            return getattr(self._raw, name)

    real_init = duckdb_file.DuckDBFile.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        self.raw = RawProxy(self.raw)

    duckdb_file.DuckDBFile.__init__ = init  # type: ignore[method-assign]

    real_ask = Study.ask

    def ask(self: Study) -> Any:
        trial = real_ask(self)
        print(f"ASKED {trial.number}", flush=True)
        killer.hit("ask")
        return trial

    Study.ask = ask  # type: ignore[method-assign]

    real_param = SQLStorage.set_trial_param

    def set_trial_param(self: SQLStorage, *args: Any, **kwargs: Any) -> None:
        real_param(self, *args, **kwargs)
        killer.hit("param")

    SQLStorage.set_trial_param = set_trial_param  # type: ignore[method-assign]

    real_finish = SQLStorage.finish_trial

    def finish_trial(self: SQLStorage, *args: Any, **kwargs: Any) -> Any:
        killer.hit("tell-before")
        frozen = real_finish(self, *args, **kwargs)
        killer.hit("tell-after")
        return frozen

    SQLStorage.finish_trial = finish_trial  # type: ignore[method-assign]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("study")
    parser.add_argument("--n", type=int, default=None, help="trials to run (default: until killed)")
    parser.add_argument("--sleep", type=float, default=0.0, help="seconds the objective takes")
    parser.add_argument("--die-at", choices=POINTS, default=None)
    parser.add_argument("--die-after", type=int, default=1)
    parser.add_argument("--heartbeat", type=float, default=None)
    parser.add_argument("--grace", type=float, default=None)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()

    killer = Killer(args.die_at, args.die_after)
    install_hooks(killer)

    import ragtune
    from ragtune.exceptions import RagtuneError
    from ragtune.samplers import RandomSampler
    from ragtune.storage import SQLStorage

    kwargs: dict[str, Any] = {}
    if args.heartbeat is not None:
        kwargs.update(heartbeat_interval=args.heartbeat, grace_period=args.grace)
    try:
        storage = SQLStorage(args.url, **kwargs)
        study = ragtune.create_study(
            storage=storage, study_name=args.study, load_if_exists=True, sampler=RandomSampler(seed=args.seed)
        )
    except RagtuneError as e:
        print(f"ERROR {type(e).__name__}: {e}", flush=True)
        return 1

    def objective(trial: Any) -> float:
        params = {
            "x": trial.suggest_float("x", -1.0, 1.0),
            "k": trial.suggest_int("k", 1, 64),
            "kind": trial.suggest_categorical("kind", list(OFFSET)),
        }
        value = value_of(params)
        trial.report(value + 1.0, 0)
        trial.report(value + 0.5, 1)
        trial.set_user_attr("value", value)
        if args.sleep:
            time.sleep(args.sleep)
        killer.hit("objective")
        return value

    def announce(_: Any, frozen: Any) -> None:
        if frozen.state.name == "COMPLETE":
            print(f"DONE {frozen.number} {frozen.values[0]!r}", flush=True)

    print("READY", flush=True)
    killer.armed = True
    try:
        study.optimize(objective, n_trials=args.n, callbacks=[announce])
    except RagtuneError as e:
        print(f"ERROR {type(e).__name__}: {e}", flush=True)
        return 1
    finally:
        killer.armed = False
    storage.close()
    print("EXIT 0", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""PostgreSQL connections dropped under the workers (``pg_terminate_backend``) and restored.

The server side of every worker connection is killed while the study runs. A worker either goes on or
stops with one clean line (never a traceback, never the password), a restarted worker continues the
study, and nothing completed is lost or duplicated.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

import ragtune
from ragtune.core.trial import Trial
from ragtune.samplers import RandomSampler
from ragtune.storage import SQLStorage

sys.path.insert(0, str(Path(__file__).parent))
from reliability_procs import Proc, all_done, check_trials, unique, with_query
from test_worker_kills import HB, create, resume, sweep

PASSWORD = "s3cret-Pa55"


def terminate(admin_url: str, application_name: str) -> int:
    """Kill the server side of every connection with this application_name; how many there were."""
    engine = sa.create_engine(admin_url)
    try:
        with engine.begin() as conn:
            return int(
                conn.execute(
                    sa.text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE application_name = :app AND pid <> pg_backend_pid()"
                    ),
                    {"app": application_name},
                ).scalar_one()
            )
    finally:
        engine.dispose()


def with_password(url: str) -> str:
    """The same server with a password in the URL (trust auth ignores it; it must never be shown)."""
    head, tail = url.split("://", 1)
    userinfo, host = tail.split("@", 1)
    return f"{head}://{userinfo.split(':', 1)[0]}:{PASSWORD}@{host}"


def _objective(trial: Trial) -> float:
    return trial.suggest_float("x", -1.0, 1.0) ** 2


@pytest.mark.postgres
def test_idle_pooled_connections_dropped_then_the_study_goes_on(postgres_url: str) -> None:
    app = unique("rt-idle")
    storage = SQLStorage(with_query(postgres_url, application_name=app))
    study = ragtune.create_study(
        storage=storage, study_name=unique("idle-drop"), sampler=RandomSampler(seed=0)
    )
    study.optimize(_objective, n_trials=3)
    for _ in range(3):
        assert terminate(postgres_url, app) >= 1
        study.optimize(_objective, n_trials=3)
    assert [t.number for t in study.trials] == list(range(12))
    storage.close()


def check_clean_stop(proc: Proc) -> None:
    """A worker that stopped on a lost connection did so with one line: no traceback, no password."""
    assert proc.proc.returncode == 1, (proc.proc.returncode, proc.lines[-3:])
    errors = [line for line in proc.lines if line.startswith("ERROR ")]
    assert len(errors) == 1 and errors[0].startswith("ERROR StorageConnectionError: lost the connection"), (
        errors
    )
    text = proc.stderr() + "\n".join(proc.lines)
    assert "Traceback" not in text and PASSWORD not in text


@pytest.mark.postgres
def test_connections_dropped_under_running_workers(postgres_url: str, rounds: object) -> None:
    name = unique("drops")
    create(postgres_url, name)
    app = unique("rt-drop")
    url = with_query(with_password(postgres_url), application_name=app)
    rng = random.Random(3)
    procs = [Proc(url, name, "--sleep", "0.01", *HB)]
    procs[0].wait_for("READY")

    def advance(n: int) -> None:
        """The study goes on by ``n`` trials; a worker that stopped cleanly is replaced by a new one."""
        target = len(all_done(procs)) + n
        while len(all_done(procs)) < target:
            worker = procs[-1]
            if not worker.progress_or_exit("DONE", len(worker.done()) + 1):
                check_clean_stop(worker)
                procs.append(Proc(url, name, "--sleep", "0.01", *HB))

    def drop() -> None:
        """Kill the server side of the live worker's connections. Progress printed before the last
        drop can end ``advance`` while that worker is still stopping on it: then it has no connection
        left, so wait for its clean stop and drop the connections of its replacement instead."""
        while terminate(postgres_url, app) == 0:
            worker = procs[-1]
            assert not worker.progress_or_exit("DONE", 10**9), "a live worker had no connection"
            check_clean_stop(worker)
            procs.append(Proc(url, name, "--sleep", "0.01", *HB))
            procs[-1].wait_for("READY")

    advance(2)
    for _ in range(rounds(2, 15)):  # type: ignore[operator]
        time.sleep(rng.uniform(0.0, 0.2))
        drop()
        advance(3)
    procs[-1].kill()
    trials = sweep(postgres_url, name)
    check_trials(trials, all_done(procs))
    again = resume(postgres_url, name, trials, *HB)
    check_trials(sweep(postgres_url, name), all_done([*procs, again]))

"""Many worker processes on one PostgreSQL study: no errors, no duplicate or missing trial numbers."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

import ragtune
from ragtune.core.trial_state import TrialState
from ragtune.storage import SQLStorage
from ragtune.storage.sql import SCHEMA_VERSION

sys.path.insert(0, str(Path(__file__).parent))
from storage_procs import Worker, unique

N_WORKERS, N_TRIALS = 8, 300  # the benchmark runs 16 x 2,000 (benchmarks/storage.py)


@pytest.mark.postgres
def test_worker_processes_share_a_study_without_gaps_or_duplicates(postgres_url: str) -> None:
    name = unique("concurrency")
    storage = SQLStorage(postgres_url)
    ragtune.create_study(storage=storage, study_name=name)
    shares = [N_TRIALS // N_WORKERS + (i < N_TRIALS % N_WORKERS) for i in range(N_WORKERS)]
    workers = [Worker("optimize", postgres_url, name, "--n", str(n)) for n in shares]
    reports = [json.loads(w.finish()[-1]) for w in workers]

    assert [r["errors"] for r in reports] == [[]] * N_WORKERS
    ran = sorted(n for r in reports for n in r["numbers"])
    assert ran == list(range(N_TRIALS))  # each number run by exactly one worker
    trials = ragtune.load_study(study_name=name, storage=storage).trials
    assert sorted(t.number for t in trials) == list(range(N_TRIALS))  # 0 gaps, 0 duplicates
    assert all(t.state is TrialState.COMPLETE and len(t.params) == 3 for t in trials)  # 0 lost
    sid = storage.get_study_id_from_name(name)
    assert [t.number for t in storage.read_trials_since(sid, 0).finished].__len__() == N_TRIALS
    storage.close()


@pytest.mark.postgres
def test_32_workers_create_the_schema_at_once(postgres_schema_url: str) -> None:
    """Workers racing on an empty database: one creates the schema, the others wait and use it."""
    start = threading.Barrier(32)
    errors: list[BaseException] = []
    opened: list[SQLStorage] = []
    lock = threading.Lock()

    def open_one() -> None:
        try:
            start.wait()
            s = SQLStorage(postgres_schema_url, engine_kwargs={"pool_size": 1, "max_overflow": 1})
            with lock:
                opened.append(s)
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=open_one) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    engine = sa.create_engine(postgres_schema_url)
    with engine.connect() as conn:
        versions = conn.execute(sa.text("SELECT version FROM schema_version")).scalars().all()
    engine.dispose()
    assert sorted(versions) == list(range(1, SCHEMA_VERSION + 1))  # each step ran once
    sid = opened[0].create_new_study((ragtune.StudyDirection.MINIMIZE,), "raced")
    assert all(s.get_study_id_from_name("raced") == sid for s in opened)
    for s in opened:
        s.close()

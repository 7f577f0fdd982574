"""Workers killed with SIGKILL at chosen and random points; the study keeps every completed trial.

Real processes (trial_worker.py) die during ask, while storing a param, inside the objective, before
and after the storage finishes a trial, just before a transaction commits, and before an arbitrary SQL
statement; on PostgreSQL several die at once while others keep working. After each crash: no completed
trial is lost or changed, numbers stay unique and gap-free, the dead worker's trial is failed and
re-queued once (when it had params), and the study resumes.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import pytest

import ragtune
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trial_state import TrialState
from ragtune.samplers import RandomSampler
from ragtune.storage import SQLStorage

sys.path.insert(0, str(Path(__file__).parent))
from reliability_procs import REQUEUED_FROM, Proc, all_done, check_trials, unique
from trial_worker import POINTS

INTERVAL, GRACE = 0.25, 1.0
HB = ("--heartbeat", str(INTERVAL), "--grace", str(GRACE))

# (point, K): the worker dies on the K-th occurrence, so K - 1 trials (for per-trial points) completed.
PLAN = [
    ("ask", 2),
    ("param", 4),
    ("objective", 2),
    ("tell-before", 3),
    ("tell-after", 2),
    ("commit", 6),
    ("statement", 29),
]


def last_asked(proc: Proc) -> int:
    return max(int(line.split()[1]) for line in proc.lines if line.startswith("ASKED "))


def expect_outcome(point: str, number: int, trials: list[FrozenTrial]) -> None:
    """What the trial a worker died in must look like once the crash was noticed: on every backend
    it is stored from ``ask`` on, with each param from the moment ``suggest_*`` returned (DuckDB
    through its journal, replayed when the file is opened again)."""
    by_number = {t.number: t for t in trials}
    trial = by_number[number]
    if point == "tell-after":
        assert trial.state is TrialState.COMPLETE, trial  # stored before the kill: kept
        return
    if point in ("ask", "param", "objective", "tell-before", "commit"):
        assert trial.state is TrialState.FAIL, trial
        copies = [t for t in trials if t.system_attrs.get(REQUEUED_FROM) == trial.number]
        # Re-queued once to run the same params again; not when it died before any param, nor when it
        # was itself a re-queue (a worker can claim another dead worker's trial and die in it).
        wanted = 1 if trial.params and REQUEUED_FROM not in trial.system_attrs else 0
        assert len(copies) == wanted, f"trial {trial.number} re-queued {len(copies)} times"
        if point == "ask":
            assert dict(trial.params) == {}
        elif point == "param":  # killed right after a suggest_* returned: that param is stored
            assert trial.params, trial
        elif point in ("objective", "tell-before"):  # after its reports: DuckDB wrote the params with them
            assert set(trial.params) == {"x", "k", "kind"}


# -- PostgreSQL ----------------------------------------------------------------------------------


def sweep(url: str, study: str, *, limit: float = 30.0) -> list[FrozenTrial]:
    """Fail stale trials as a worker's ask() does, until none is RUNNING; return all trials."""
    storage = SQLStorage(url, heartbeat_interval=INTERVAL, grace_period=GRACE)
    try:
        sid = storage.get_study_id_from_name(study)
        deadline = time.monotonic() + limit
        while True:
            storage.fail_stale_trials(sid)
            trials = storage.get_all_trials(sid)
            if not any(t.state is TrialState.RUNNING for t in trials):
                return trials
            assert time.monotonic() < deadline, [t for t in trials if t.state is TrialState.RUNNING]
            time.sleep(0.2)
    finally:
        storage.close()


def create(url: str, name: str) -> None:
    storage = SQLStorage(url)
    ragtune.create_study(storage=storage, study_name=name, sampler=RandomSampler(seed=0))
    storage.close()


def resume(url: str, name: str, trials: list[FrozenTrial], *extra: str) -> Proc:
    """A fresh worker runs the re-queued trials and a few more; it must end normally."""
    waiting = sum(t.state is TrialState.WAITING for t in trials)
    proc = Proc(url, name, "--n", str(waiting + 3), *extra)
    assert proc.wait() == 0, (proc.lines[-5:], proc.stderr())
    return proc


@pytest.mark.postgres
def test_postgres_workers_killed_during_ask_objective_and_tell_while_another_works(
    postgres_url: str, slow: bool
) -> None:
    """Short run: 4 workers die at once (ask, objective, tell before/after the write); long run: all 7 points."""
    plan = PLAN if slow else [p for p in PLAN if p[0] in ("ask", "objective", "tell-before", "tell-after")]
    name = unique("kills")
    create(postgres_url, name)
    dying = {
        point: Proc(
            postgres_url,
            name,
            "--die-at",
            point,
            "--die-after",
            str(k),
            "--sleep",
            "0.01",
            "--seed",
            str(i),
            *HB,
        )
        for i, (point, k) in enumerate(plan)
    }
    survivor = Proc(postgres_url, name, "--n", "25" if slow else "8", "--sleep", "0.01", "--seed", "99", *HB)
    for point, proc in dying.items():
        assert proc.wait() == -9, (point, proc.lines[-5:], proc.stderr())
    assert survivor.wait() == 0, (survivor.lines[-5:], survivor.stderr())

    trials = sweep(postgres_url, name)
    procs = [*dying.values(), survivor]
    check_trials(trials, all_done(procs))
    for point, proc in dying.items():
        expect_outcome(point, last_asked(proc), trials)

    again = resume(postgres_url, name, trials, *HB)
    final = sweep(postgres_url, name)
    check_trials(final, all_done([*procs, again]))
    assert not [t for t in final if t.state is TrialState.WAITING], "re-queued trials were not run"


@pytest.mark.postgres
@pytest.mark.slow
def test_postgres_workers_killed_at_random_times(postgres_url: str) -> None:
    """Long run: 4 workers, 20 rounds, a random one killed at a random moment and restarted each round."""
    name = unique("random-kills")
    create(postgres_url, name)
    rng = random.Random(1)
    args = ("--sleep", "0.01", *HB)
    live = [Proc(postgres_url, name, *args) for _ in range(4)]
    dead: list[Proc] = []
    for p in live:
        p.wait_for("READY")
    for _ in range(20):
        time.sleep(rng.uniform(0.3, 2.0))
        victim = live.pop(rng.randrange(len(live)))
        victim.kill()
        dead.append(victim)
        live.append(Proc(postgres_url, name, *args))
    for p in live:
        p.kill()
    trials = sweep(postgres_url, name)
    check_trials(trials, all_done([*dead, *live]))
    assert sum(t.state is TrialState.COMPLETE for t in trials) > 20
    again = resume(postgres_url, name, trials, *HB)
    check_trials(sweep(postgres_url, name), all_done([*dead, *live, again]))


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS)
@pytest.mark.parametrize("k", [1, 3, 8])
def test_postgres_worker_killed_at_each_point_alone(postgres_url: str, point: str, k: int) -> None:
    name = unique(f"kill-{point}")
    create(postgres_url, name)
    proc = Proc(postgres_url, name, "--die-at", point, "--die-after", str(k), *HB)
    assert proc.wait() == -9, (proc.lines[-5:], proc.stderr())
    trials = sweep(postgres_url, name)
    check_trials(trials, proc.done())
    if proc.lines and any(line.startswith("ASKED") for line in proc.lines):
        expect_outcome(point, last_asked(proc), trials)
    again = resume(postgres_url, name, trials, *HB)
    check_trials(sweep(postgres_url, name), all_done([proc, again]))


# -- DuckDB --------------------------------------------------------------------------------------


def reopen(url: str) -> list[FrozenTrial]:
    """Open the file as the next run would (which fails what a dead process left RUNNING)."""
    storage = SQLStorage(url)
    try:
        return ragtune.load_study(study_name="study", storage=storage).trials
    finally:
        storage.close()


def duckdb_kill_points(tmp_path: Path, plan: list[tuple[str, int]]) -> None:
    url = f"duckdb:///{tmp_path / 'kills.duckdb'}"
    done: dict[int, float] = {}
    for point, k in plan:
        proc = Proc(url, "study", "--die-at", point, "--die-after", str(k))
        assert proc.wait() == -9, (point, proc.lines[-5:], proc.stderr())
        for number, value in proc.done().items():
            assert number not in done
            done[number] = value
        trials = reopen(url)
        check_trials(trials, done)
        if any(line.startswith("ASKED") for line in proc.lines):
            expect_outcome(point, last_asked(proc), trials)
    trials = reopen(url)
    again = resume(url, "study", trials)
    final = reopen(url)
    check_trials(final, {**done, **again.done()})
    assert not [t for t in final if t.state is TrialState.WAITING]


def test_duckdb_process_killed_mid_write_and_at_chosen_points(tmp_path: Path) -> None:
    duckdb_kill_points(tmp_path, [("commit", 7), ("tell-after", 3)])  # --run-slow: every point, several K


def test_duckdb_trial_killed_after_reporting_keeps_its_params_for_the_requeue(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'params.duckdb'}"
    proc = Proc(url, "study", "--die-at", "objective", "--die-after", "1")
    assert proc.wait() == -9, (proc.lines[-5:], proc.stderr())
    trials = reopen(url)
    dead = trials[last_asked(proc)]
    assert dead.state is TrialState.FAIL and dead.intermediate_values
    assert set(dead.params) == {"x", "k", "kind"}
    copy = [t for t in trials if t.system_attrs.get(REQUEUED_FROM) == dead.number]
    assert copy and copy[0].system_attrs["fixed_params"] == dict(dead.params)


@pytest.mark.slow
def test_duckdb_process_killed_at_every_point(tmp_path: Path) -> None:
    duckdb_kill_points(tmp_path, [(p, k) for k in (1, 3, 8) for p in POINTS])


@pytest.mark.slow
def test_duckdb_process_killed_at_random_times(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'random.duckdb'}"
    rng = random.Random(2)
    done: dict[int, float] = {}
    for _ in range(15):
        proc = Proc(url, "study", "--sleep", "0.002")
        proc.wait_for("READY")
        time.sleep(rng.uniform(0.0, 0.5))
        proc.kill()
        for number, value in proc.done().items():
            done[number] = value
        check_trials(reopen(url), done)
    trials = reopen(url)
    again = resume(url, "study", trials)
    check_trials(reopen(url), {**done, **again.done()})

"""Workers that die mid-trial, with real processes and SIGKILL: nothing completed is ever lost."""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

import pytest

import ragtune
from ragtune.core.trial import Trial
from ragtune.core.trial_state import TrialState
from ragtune.samplers import RandomSampler
from ragtune.storage import SQLStorage

sys.path.insert(0, str(Path(__file__).parent))
from storage_procs import Worker, unique

INTERVAL, GRACE = 0.5, 1.0


def _objective(trial: Trial) -> float:
    x = trial.suggest_float("x", -1.0, 1.0)
    k = trial.suggest_int("k", 1, 64)
    return x * x + k / 64.0


def _wait_until_failed(storage: SQLStorage, study_id: int, trial_id: int, limit: float) -> float:
    """Sweep as a worker's ask() does until ``trial_id`` is FAIL; return the seconds it took."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        storage.fail_stale_trials(study_id)
        if storage.get_trial(trial_id).state is TrialState.FAIL:
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"trial {trial_id} was not failed within {limit} s")


@pytest.mark.postgres
def test_killed_postgres_worker_is_failed_requeued_once_and_study_goes_on(postgres_url: str) -> None:
    name = unique("faults")
    storage = SQLStorage(postgres_url, heartbeat_interval=INTERVAL, grace_period=GRACE)
    study = ragtune.create_study(storage=storage, study_name=name, sampler=RandomSampler(seed=0))
    sid = storage.get_study_id_from_name(name)
    study.optimize(_objective, n_trials=5)
    hb = ("--heartbeat", str(INTERVAL), "--grace", str(GRACE))

    worker = Worker("hang", postgres_url, name, *hb)
    try:
        number, params = worker.wait_for("RUNNING")[0].split(" ", 2)[1:]
        victim = storage.get_trial(storage.get_trial_id_from_number(sid, int(number)))
        # Alive and beating: sweeps for longer than the grace period leave it alone.
        end = time.monotonic() + 2 * GRACE
        while time.monotonic() < end:
            study.optimize(_objective, n_trials=1)
        assert storage.get_trial(victim.trial_id).state is TrialState.RUNNING
        before = {t.trial_id: t.values for t in study.get_trials(states=(TrialState.COMPLETE,))}
        worker.kill9()
    finally:
        worker.stop()
    took = _wait_until_failed(storage, sid, victim.trial_id, limit=30)
    assert took <= GRACE + 2 * INTERVAL + 1.0, f"stale trial found after {took:.2f} s"

    failed = storage.get_trial(victim.trial_id)
    assert failed.fail_reason is not None
    assert failed.fail_reason.startswith("worker stopped sending heartbeats (last at ")
    assert dict(failed.params) == json.loads(params)
    requeued = [t for t in study.trials if t.system_attrs.get("requeued_from") == failed.number]
    assert len(requeued) == 1 and requeued[0].state is TrialState.WAITING
    assert requeued[0].system_attrs["fixed_params"] == json.loads(params)
    after = {t.trial_id: t.values for t in study.get_trials(states=(TrialState.COMPLETE,))}
    assert after == before

    # The re-queued trial dies too: it is failed, and not queued a second time.
    second = Worker("hang", postgres_url, name, *hb)
    try:
        number2, params2 = second.wait_for("RUNNING")[0].split(" ", 2)[1:]
        assert int(number2) == requeued[0].number and json.loads(params2) == json.loads(params)
        second.kill9()
    finally:
        second.stop()
    _wait_until_failed(storage, sid, requeued[0].trial_id, limit=30)
    assert not [t for t in study.trials if t.system_attrs.get("requeued_from") == int(number2)]
    assert study.get_trials(states=(TrialState.WAITING,)) == []

    # The study goes on: new trials, numbers still unique and gap-free.
    study.optimize(_objective, n_trials=5)
    numbers = sorted(t.number for t in study.trials)
    assert numbers == list(range(len(numbers)))
    storage.close()


def test_killed_duckdb_process_loses_nothing_completed(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path}/killed.duckdb"
    done: dict[int, float] = {}
    rng = random.Random(0)
    for _ in range(3):
        worker = Worker("forever", url, "study", "--sleep", "0.002")
        try:
            worker.wait_for("DONE", count=8)
            time.sleep(rng.uniform(0.0, 0.2))
            worker.kill9()
        finally:
            worker.stop()
        for line in worker.lines:
            if line.startswith("DONE"):
                _, number, value = line.split()
                done[int(number)] = float(value)
        storage = SQLStorage(url)
        trials = ragtune.load_study(study_name="study", storage=storage).trials
        by_number = {t.number: t for t in trials}
        assert sorted(by_number) == list(range(len(trials)))  # gap-free after every crash
        for n, v in done.items():
            assert by_number[n].state is TrialState.COMPLETE and by_number[n].values == (v,)
        for t in trials:
            if t.state is TrialState.FAIL:
                assert t.fail_reason is not None and "stopped before it finished" in t.fail_reason
        assert not [t for t in trials if t.state is TrialState.RUNNING]
        storage.close()
    storage = SQLStorage(url)
    study = ragtune.load_study(study_name="study", storage=storage)
    finished = (TrialState.COMPLETE, TrialState.FAIL)
    n_before = len(study.get_trials(states=finished))
    study.optimize(_objective, n_trials=3)  # re-queued trials first, then new ones
    assert len(study.get_trials(states=finished)) == n_before + 3
    assert not study.get_trials(states=(TrialState.RUNNING,))
    storage.close()


def _killed_right_after_suggest(url: str, study: str) -> tuple[int, dict[str, object]]:
    """A worker sets an attr, suggests params and is killed (SIGKILL) before it reports anything."""
    worker = Worker("hang", url, study)
    try:
        number, params = worker.wait_for("RUNNING")[0].split(" ", 2)[1:]
        worker.kill9()
    finally:
        worker.stop()
    return int(number), json.loads(params)


def test_duckdb_params_and_attrs_are_on_disk_when_suggest_returns(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path}/suggested.duckdb"
    number, params = _killed_right_after_suggest(url, "s")
    journal = tmp_path / "suggested.duckdb.journal"  # the writes since the last commit to the file
    with journal.open("ab") as f:
        f.write(b'["p",0,"x",0.5')  # a line the crash cut short is left out
    storage = SQLStorage(url)
    trials = ragtune.load_study(study_name="s", storage=storage).trials
    failed = trials[number]
    assert failed.state is TrialState.FAIL and dict(failed.params) == params
    assert failed.user_attrs == {"note": {"stage": ["suggesting"]}}
    (requeued,) = [t for t in trials if t.system_attrs.get("requeued_from") == number]
    assert requeued.state is TrialState.WAITING and requeued.system_attrs["fixed_params"] == params
    storage.close()
    assert not journal.exists()  # replayed into the file, emptied, and removed on a clean close


@pytest.mark.postgres
def test_postgres_params_and_attrs_are_on_the_server_when_suggest_returns(postgres_schema_url: str) -> None:
    name = unique("suggested")
    number, params = _killed_right_after_suggest(postgres_schema_url, name)
    storage = SQLStorage(postgres_schema_url, heartbeat_interval=None)  # read only: no sweep fails it
    sid = storage.get_study_id_from_name(name)
    victim = storage.get_trial(storage.get_trial_id_from_number(sid, number))
    assert victim.state is TrialState.RUNNING and dict(victim.params) == params
    assert victim.user_attrs == {"note": {"stage": ["suggesting"]}}
    storage.close()

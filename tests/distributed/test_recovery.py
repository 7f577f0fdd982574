"""The driver's fail-and-re-queue of a dead task's trial, on real PostgreSQL (no Ray needed)."""

from __future__ import annotations

import pytest

import ragtune as rt
from ragtune.core.trial_state import TrialState
from ragtune.distributed.job import RAY_TASK_ATTR
from ragtune.distributed.recovery import fail_trial, running_trials_of
from ragtune.storage import SQLStorage
from ragtune.storage.bookkeeping import REQUEUED_FROM

pytestmark = [pytest.mark.postgres]


def test_a_dead_tasks_trial_is_failed_and_requeued_once(postgres_schema_url):
    storage = SQLStorage(postgres_schema_url, heartbeat_interval=None)
    study = rt.create_study(storage=storage, study_name="s", sampler=rt.samplers.RandomSampler(seed=0))
    sid = storage.get_study_id_from_name("s")
    trial = study.ask()
    trial.suggest_int("k", 1, 10)
    trial.set_system_attr(RAY_TASK_ATTR, "run:0")
    other = study.ask()  # another task's trial: untouched
    other.set_system_attr(RAY_TASK_ATTR, "run:1")
    found = running_trials_of(storage, sid, {"run:0"})
    assert list(found) == ["run:0"] and found["run:0"].number == trial.number
    copy = fail_trial(storage, sid, found["run:0"], "the Ray worker running it died", requeue=True)
    assert copy == 2
    trials = {t.number: t for t in storage.get_all_trials(sid)}
    assert trials[0].state is TrialState.FAIL and trials[0].fail_reason == "the Ray worker running it died"
    assert trials[1].state is TrialState.RUNNING
    assert trials[2].state is TrialState.WAITING and trials[2].system_attrs[REQUEUED_FROM] == 0
    assert trials[2].system_attrs["fixed_params"] == {"k": trials[0].params["k"]}
    # A second report of the same death (the heartbeat sweep got there too): no second copy.
    assert fail_trial(storage, sid, found["run:0"], "again", requeue=True) is None
    # The copy runs the same params; if its worker dies too, it is failed but not queued again.
    rerun = study.ask()
    assert rerun.number == 2 and rerun.suggest_int("k", 1, 10) == trials[0].params["k"]
    rerun.set_system_attr(RAY_TASK_ATTR, "run:2")
    dead_again = running_trials_of(storage, sid, {"run:2"})["run:2"]
    assert fail_trial(storage, sid, dead_again, "died again", requeue=True) is None
    assert storage.get_n_trials(sid) == 3
    # Cancelled by Ctrl-C: failed, never re-queued.
    assert fail_trial(storage, sid, storage.get_trial(other.trial_id), "cancelled", requeue=False) is None
    assert storage.get_trial(other.trial_id).state is TrialState.FAIL and storage.get_n_trials(sid) == 3
    storage.close()

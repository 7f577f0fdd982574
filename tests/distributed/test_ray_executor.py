"""`ragtune optimize --executor ray` on a real local Ray head and a real PostgreSQL.

One head per session (conftest); the studies live in fresh PostgreSQL schemas. The fault test kills
the Ray worker process that runs a trial with SIGKILL.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import ragtune as rt
from ragtune.core.trial_state import TrialState
from ragtune.distributed.job import RAY_TASK_ATTR
from ragtune.storage import SQLStorage
from ragtune.storage.bookkeeping import REQUEUED_FROM

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "python_docs_rag.py"

pytestmark = [pytest.mark.postgres]


def optimize(args: list[str], cwd: Path, *, timeout: float = 400) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "ragtune", "optimize", *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def check_gap_free_and_finished(trials: list[rt.FrozenTrial]) -> None:
    assert sorted(t.number for t in trials) == list(range(len(trials)))
    assert all(t.state.is_finished() for t in trials), [(t.number, t.state) for t in trials]


@pytest.mark.timeout(600)
def test_python_docs_example_runs_20_trials_as_ray_tasks(ray_head, postgres_schema_url, tmp_path):
    """The example, on one objective with ASHA so that pruning certainly happens across workers."""
    done = optimize(
        [str(EXAMPLE), "--storage", postgres_schema_url, "--executor", "ray", "--ray-address",
         ray_head.address, "--workers", "2", "--n-trials", "20", "--seed", "7", "--study", "docs",
         "--objective", "ndcg@10:max", "--pruner", "asha", "--json"],
        tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["new_trials"] == 20
    trials = rt.load_study(study_name="docs", storage=postgres_schema_url).trials
    assert len(trials) == 20
    check_gap_free_and_finished(trials)
    assert {t.state for t in trials} <= {TrialState.COMPLETE, TrialState.PRUNED}
    # Every trial ran as a Ray task of this run, each task in its own slot.
    tokens = [t.system_attrs.get(RAY_TASK_ATTR) for t in trials]
    assert None not in tokens and len(set(tokens)) == 20
    assert len({tok.split(":")[0] for tok in tokens}) == 1
    n_questions = max(max(t.intermediate_values) for t in trials)
    pruned = [t for t in trials if t.state is TrialState.PRUNED]
    assert pruned and len(pruned) < 20, "ASHA pruned no trial (or every trial)"
    for t in trials:
        last = max(t.intermediate_values)
        if t.state is TrialState.PRUNED:  # stopped at an early rung, with no final values
            assert last < n_questions and t.values is None, t
        else:  # evaluated on every question
            assert last == n_questions and t.values is not None and len(t.values) == 1, t
    assert report["states"]["PRUNED"] == len(pruned)
    # The two workers ran side by side: some trial started before another one finished.
    spans = sorted((t.datetime_start, t.datetime_complete) for t in trials)
    assert any(b[0] < a[1] for a, b in itertools.pairwise(spans))


FAULTY = """
import os, time
from pathlib import Path
import ragtune as rt
from ragtune.pipelines import Pipeline, chunkers, readers, retrievers

dataset = rt.datasets.load("python-docs")
objectives = ["ndcg@10:max"]
trial_resources = {{"cpus": 1}}
CLAIM = Path({claim!r})

def pipeline(trial):
    size = trial.suggest_int("chunk_size", 256, 1024, step=256)
    k = trial.suggest_categorical("k", [3, 5, 10])
    if trial.number == 1:
        try:
            fd = os.open(CLAIM, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            pass
        else:  # the first time only: tell the test this process's pid, then wait to be killed
            os.write(fd, str(os.getpid()).encode())
            os.close(fd)
            time.sleep(120)
    return Pipeline(chunker=chunkers.Window(size, 32), retriever=retrievers.BM25(),
                    reader=readers.Extractive(), k=k)
"""


def test_sigkill_of_the_ray_worker_running_a_trial_fails_and_requeues_it(
    ray_head, postgres_schema_url, tmp_path
):
    claim = tmp_path / "victim.pid"
    pipeline = tmp_path / "faulty.py"
    pipeline.write_text(textwrap.dedent(FAULTY.format(claim=str(claim))))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    cmd = [
        sys.executable,
        "-m",
        "ragtune",
        "optimize",
        str(pipeline),
        "--storage",
        postgres_schema_url,
        "--executor",
        "ray",
        "--ray-address",
        ray_head.address,
        "--workers",
        "2",
        "--n-trials",
        "6",
        "--max-questions",
        "30",
        "--seed",
        "3",
        "--study",
        "faulty",
        "--json",
    ]
    proc = subprocess.Popen(
        cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 180
        while not (claim.exists() and claim.read_text()) and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()[1][-3000:]
            time.sleep(0.2)
        victim = int(claim.read_text())
        assert victim != proc.pid  # the trial runs in a Ray worker, not in the driver
        # Kill it mid-trial, once its params reached the database (PostgreSQL writes a burst of
        # suggestions shortly after, in one statement): the re-queued copy repeats them.
        storage = SQLStorage(postgres_schema_url, heartbeat_interval=None)
        try:
            study_id = storage.get_study_id_from_name("faulty")
            while not storage.get_trial(storage.get_trial_id_from_number(study_id, 1)).params:
                assert time.monotonic() < deadline, "trial 1 never stored its params"
                time.sleep(0.2)
        finally:
            storage.close()
        os.kill(victim, signal.SIGKILL)
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err[-3000:]
    trials = rt.load_study(study_name="faulty", storage=postgres_schema_url).trials
    check_gap_free_and_finished(trials)
    failed = [t for t in trials if t.state is TrialState.FAIL]
    assert [t.number for t in failed] == [1], [(t.number, t.state, t.fail_reason) for t in trials]
    assert "Ray worker running it died" in (failed[0].fail_reason or "")
    copies = [t for t in trials if t.system_attrs.get(REQUEUED_FROM) == 1]
    assert len(copies) == 1 and copies[0].params == failed[0].params
    assert copies[0].state in (TrialState.COMPLETE, TrialState.PRUNED)
    # The run still finished its 6 trials: 6 done + the failed one.
    assert len(trials) == 7 and json.loads(out)["new_trials"] == 7
    assert sum(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials) == 6


HANGING = """
import os, time
from pathlib import Path
import ragtune as rt
from ragtune.pipelines import Pipeline, chunkers, readers, retrievers

dataset = rt.datasets.load("python-docs")
objectives = ["ndcg@10:max"]
PIDS = Path({pids!r})

def pipeline(trial):
    size = trial.suggest_int("chunk_size", 256, 1024, step=256)
    (PIDS / str(os.getpid())).write_text(str(trial.number))
    time.sleep(120)  # until the driver's Ctrl-C cancels the task
    return Pipeline(chunker=chunkers.Window(size, 32), retriever=retrievers.BM25(), reader=readers.Extractive())
"""


def test_ctrl_c_on_the_driver_cancels_the_tasks_and_fails_their_trials(
    ray_head, postgres_schema_url, tmp_path
):
    pids = tmp_path / "pids"
    pids.mkdir()
    pipeline = tmp_path / "hanging.py"
    pipeline.write_text(textwrap.dedent(HANGING.format(pids=str(pids))))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    cmd = [
        sys.executable,
        "-m",
        "ragtune",
        "optimize",
        str(pipeline),
        "--storage",
        postgres_schema_url,
        "--executor",
        "ray",
        "--ray-address",
        ray_head.address,
        "--workers",
        "2",
        "--n-trials",
        "4",
        "--study",
        "hanging",
    ]
    proc = subprocess.Popen(
        cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 180
        while len(list(pids.iterdir())) < 2:
            assert proc.poll() is None, proc.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "the two tasks never started their trials"
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err[-3000:]
    assert "interrupted" in err
    trials = rt.load_study(study_name="hanging", storage=postgres_schema_url).trials
    assert sorted(t.number for t in trials) == [0, 1]
    assert all(t.state is TrialState.FAIL for t in trials), [(t.number, t.state) for t in trials]
    assert all("cancelled: the driver was interrupted (Ctrl-C)" in (t.fail_reason or "") for t in trials)
    assert not any(REQUEUED_FROM in t.system_attrs for t in trials)  # the user stopped them: no re-run
    # The cancelled tasks' worker processes were stopped, not left sleeping.
    deadline = time.monotonic() + 30
    alive = [int(p.name) for p in pids.iterdir()]
    while alive and time.monotonic() < deadline:
        alive = [p for p in alive if running(p)]
        time.sleep(0.5)
    assert not alive, alive


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


def test_a_trial_asking_for_more_than_the_cluster_has_is_one_line(ray_head, postgres_schema_url, tmp_path):
    pipeline = tmp_path / "gpu.py"
    faulty = FAULTY.format(claim=str(tmp_path / "unused"))
    pipeline.write_text(faulty.replace('trial_resources = {"cpus": 1}', 'trial_resources = {"gpus": 1}'))
    done = optimize(
        [str(pipeline), "--storage", postgres_schema_url, "--executor", "ray", "--ray-address",
         ray_head.address, "-n", "2", "--study", "gpu"],
        tmp_path,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr[-2000:]
    lines = done.stderr.strip().splitlines()
    assert lines[-1] == (
        "error: each trial asks Ray for 1 GPU but the cluster has 0; lower trial_resources['gpus'] in "
        "the pipeline file or add nodes that have it"
    ), done.stderr[-2000:]
    assert rt.load_study(study_name="gpu", storage=postgres_schema_url).trials == []


API_SCRIPT = """
import sys
import ragtune as rt
from ragtune.distributed import RayExecutor
from ragtune.pipelines import Pipeline, chunkers, readers, retrievers
from ragtune.tuner import Tuner

def pipeline(trial):  # defined in __main__: it travels to the workers by value
    size = trial.suggest_int("size", 256, 1024, step=256)
    return Pipeline(chunker=chunkers.Window(size, 32), retriever=retrievers.BM25(),
                    reader=readers.Extractive(), k=5)

seen = []
tuner = Tuner(pipeline, "python-docs", objectives=["ndcg@10:max"], storage=sys.argv[1], study_name="api",
              max_questions=20, seed=5, executor=RayExecutor(address=sys.argv[2], workers=2))
tuner.optimize(n_trials=4, callbacks=[lambda study, t: seen.append(t.number)])
print(sorted(seen), len(tuner.study.trials))
"""


def test_the_python_api_runs_a_tuner_on_ray(ray_head, postgres_schema_url, tmp_path):
    script = tmp_path / "api.py"
    script.write_text(API_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, str(script), postgres_schema_url, ray_head.address],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "[0, 1, 2, 3] 4"  # the driver's callbacks saw every trial
    trials = rt.load_study(study_name="api", storage=postgres_schema_url).trials
    assert all(t.state.is_finished() and t.system_attrs.get(RAY_TASK_ATTR) for t in trials)
    # The workers built their chunks and indexes into the driver's cache folder (the driver builds none).
    assert list((tmp_path / ".ragtune" / "cache").rglob("*.rtc"))

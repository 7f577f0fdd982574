"""Two `ragtune worker` processes on PostgreSQL share one study with no duplicate work."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections import Counter

import pytest

import ragtune as rt


@pytest.mark.postgres
def test_two_worker_processes_share_one_study(postgres_schema_url, tiny_pipeline, tmp_path):
    study = f"workers-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "RAGTUNE_STORAGE": postgres_schema_url}
    base = [
        sys.executable,
        "-m",
        "ragtune",
        "worker",
        str(tiny_pipeline),
        "--study",
        study,
        "--n-trials",
        "4",
        "--sampler",
        "tpe",
        "--max-questions",
        "20",
        "--quiet",
    ]
    procs = [
        subprocess.Popen(
            [*base, "--seed", str(seed)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in (1, 2)
    ]
    outputs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-2000:] for o in outputs]
    trials = rt.load_study(study_name=study, storage=postgres_schema_url).trials
    assert sorted(t.number for t in trials) == list(range(8))
    assert all(t.state.is_finished() for t in trials)
    # No duplicate work: TPE's constant liar and the no-duplicates rule keep configurations apart
    # in this small discrete space while both workers run.
    configs = Counter(tuple(sorted(t.params.items())) for t in trials)
    assert max(configs.values()) == 1, configs


@pytest.mark.postgres
def test_optimize_with_workers_runs_them_and_reports_their_trials(
    postgres_schema_url, tiny_pipeline, tmp_path
):
    """`ragtune optimize --workers 2` starts two worker processes and follows their trials."""
    import json

    study = f"optimize-workers-{uuid.uuid4().hex[:8]}"
    cmd = [
        sys.executable,
        "-m",
        "ragtune",
        "optimize",
        str(tiny_pipeline),
        "--study",
        study,
        "--storage",
        postgres_schema_url,
        "--workers",
        "2",
        "--n-trials",
        "4",
        "--max-questions",
        "20",
        "--seed",
        "3",
        "--json",
    ]
    done = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert (report["n_trials"], report["new_trials"]) == (4, 4)
    trials = rt.load_study(study_name=study, storage=postgres_schema_url).trials
    assert sorted(t.number for t in trials) == [0, 1, 2, 3] and all(t.state.is_finished() for t in trials)

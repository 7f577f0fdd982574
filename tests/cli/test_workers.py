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
def test_two_worker_processes_share_one_study(postgres_url, tiny_pipeline, tmp_path):
    study = f"workers-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "RAGTUNE_STORAGE": postgres_url}
    base = [sys.executable, "-m", "ragtune", "worker", str(tiny_pipeline), "--study", study,
            "--n-trials", "4", "--sampler", "tpe", "--max-questions", "20", "--quiet"]
    procs = [
        subprocess.Popen([*base, "--seed", str(seed)], cwd=tmp_path, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for seed in (1, 2)
    ]
    outputs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-2000:] for o in outputs]
    trials = rt.load_study(study_name=study, storage=postgres_url).trials
    assert sorted(t.number for t in trials) == list(range(8))
    assert all(t.state.is_finished() for t in trials)
    # No duplicate work: TPE's constant liar and the no-duplicates rule keep configurations apart
    # in this small discrete space while both workers run.
    configs = Counter(tuple(sorted(t.params.items())) for t in trials)
    assert max(configs.values()) == 1, configs

"""WorkerOptions: how ``optimize --workers N`` splits trials and builds each worker's command line."""

from __future__ import annotations

from pathlib import Path

from ragtune.cli.optimize import WorkerOptions
from ragtune.cli.setup import PrunerName, SamplerName


def _options(**over):
    base = dict(
        pipeline_file=Path("pipe.py"),
        storage="postgresql+psycopg://u:secret@127.0.0.1/db",
        study="s",
        workers=3,
        n_trials=10,
        timeout=None,
        sampler=SamplerName("tpe"),
        pruner=PrunerName("auto"),
    )
    return WorkerOptions(**{**base, **over})


def test_trials_are_split_evenly_and_seeds_differ_per_worker():
    opts = _options(seed=7, objectives=("ndcg@10",), extra_args=("--price-in", "0.5"))
    assert opts.shares() == [4, 3, 3]
    assert _options(n_trials=None).shares() == [None, None, None]
    cmd = opts.command(2, 3)
    assert cmd[cmd.index("--seed") + 1] == "9" and cmd[cmd.index("--n-trials") + 1] == "3"
    assert cmd[-2:] == ["--price-in", "0.5"] and cmd[cmd.index("--objective") :][:2] == [
        "--objective",
        "ndcg@10",
    ]
    assert not any("secret" in part for part in cmd)  # the URL goes in the environment, not on argv

"""DuckDB specifics: one process owns the file, every storage object in it shares one handle."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

import ragtune
from ragtune.core.trial_state import TrialState
from ragtune.storage import SQLStorage, get_storage


def test_storages_on_one_file_share_it_until_the_last_closes(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path}/shared.duckdb"
    a, b = SQLStorage(url), get_storage(url)
    study = ragtune.create_study(storage=a, study_name="s")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert len(ragtune.load_study(study_name="s", storage=b).trials) == 3
    a.close()
    assert len(ragtune.load_study(study_name="s", storage=b).trials) == 3  # still open through b
    b.close()
    engine = sa.create_engine(url)  # the file is free: a plain connection opens it
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT n_trials, n_finished FROM studies")).one()
    engine.dispose()
    assert tuple(row) == (3, 3)  # counters written when the last storage closed


def test_running_trials_become_rows_before_later_ones_finish(tmp_path: Path) -> None:
    """Numbers in the file stay gap-free even when trial 1 finishes while trial 0 still runs."""
    url = f"duckdb:///{tmp_path}/order.duckdb"
    storage = SQLStorage(url)
    sid = storage.create_new_study((ragtune.StudyDirection.MINIMIZE,), "s")
    first, second = storage.create_new_trial(sid), storage.create_new_trial(sid)
    storage.finish_trial(second.trial_id, TrialState.COMPLETE, (1.0,))
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT number, state FROM trials ORDER BY number")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(0, "RUNNING"), (1, "COMPLETE")]
    storage.finish_trial(first.trial_id, TrialState.COMPLETE, (2.0,))
    storage.close()


def test_enqueued_trial_left_by_a_crash_is_claimed_again(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path}/queue.duckdb"
    storage = SQLStorage(url)
    study = ragtune.create_study(storage=storage, study_name="s")
    study.enqueue_trial({"x": 0.25})
    claimed = study.ask()  # claimed in memory; the file still says WAITING until it reports or ends
    assert claimed.suggest_float("x", 0, 1) == 0.25
    storage.close()  # as if the process had died here
    again = SQLStorage(url)
    study = ragtune.load_study(study_name="s", storage=again)
    assert [t.state for t in study.trials] == [TrialState.WAITING]
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert study.trials[0].params == {"x": 0.25} and study.trials[0].state is TrialState.COMPLETE
    again.close()


def test_driver_settings_pass_through_the_url(tmp_path: Path) -> None:
    storage = SQLStorage(f"duckdb:///{tmp_path}/fast.duckdb?fsync_mode=none&threads=1")
    study = ragtune.create_study(storage=storage)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert len(study.trials) == 2
    storage.close()

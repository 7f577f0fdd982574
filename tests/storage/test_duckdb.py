"""DuckDB specifics: one process owns the file, every storage object in it shares one handle."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

import ragtune
from ragtune.core.trial_state import TrialState
from ragtune.samplers import RandomSampler
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
    study.ask()  # claimed in memory; the file still says WAITING until the trial's first write
    storage.close()  # as if the process had died here
    again = SQLStorage(url)
    study = ragtune.load_study(study_name="s", storage=again)
    assert [t.state for t in study.trials] == [TrialState.WAITING]
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert study.trials[0].params == {"x": 0.25} and study.trials[0].state is TrialState.COMPLETE
    again.close()


def test_enqueued_trial_that_wrote_a_param_before_a_crash_is_failed_and_requeued_once(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path}/queue.duckdb"
    storage = SQLStorage(url)
    study = ragtune.create_study(storage=storage, study_name="s")
    study.enqueue_trial({"x": 0.25})
    claimed = study.ask()
    assert claimed.suggest_float("x", 0, 1) == 0.25  # on disk, with the claim, when this returns
    storage.close()  # as if the process had died here
    again = SQLStorage(url)
    study = ragtune.load_study(study_name="s", storage=again)
    failed, queued = study.trials
    assert failed.state is TrialState.FAIL and failed.params == {"x": 0.25}
    assert failed.fail_reason is not None and "stopped before it finished" in failed.fail_reason
    assert queued.state is TrialState.WAITING and queued.system_attrs["requeued_from"] == 0
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert study.trials[1].params == {"x": 0.25} and study.trials[1].state is TrialState.COMPLETE
    again.close()


def test_driver_settings_pass_through_the_url(tmp_path: Path) -> None:
    storage = SQLStorage(f"duckdb:///{tmp_path}/fast.duckdb?fsync_mode=none&threads=1")
    study = ragtune.create_study(storage=storage)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert len(study.trials) == 2
    storage.close()


def test_a_reopened_file_gives_back_every_detail_of_every_trial(tmp_path: Path) -> None:
    from ragtune.core.frozen_trial import FrozenTrial
    from ragtune.testing.storage_contract import CHOICES, FLOAT, FLOAT_LOG, FLOAT_STEP, INT, MAX, MIN

    url = f"duckdb:///{tmp_path}/all.duckdb"
    s = SQLStorage(url)
    sid = s.create_new_study((MAX, MIN), "all")
    other = s.create_new_study((MIN,), "other")
    s.finish_trial(s.create_new_trial(other).trial_id, TrialState.COMPLETE, (9.0,))
    for i in range(6):
        t = s.create_new_trial(sid)
        s.set_trial_param(t.trial_id, "f", 0.125 * i, FLOAT)
        s.set_trial_param(t.trial_id, "lr", 1e-3, FLOAT_LOG)
        s.set_trial_param(t.trial_id, "q", 0.25, FLOAT_STEP)
        s.set_trial_param(t.trial_id, "k", 128.0, INT)
        s.set_trial_param(t.trial_id, f"c{i % 2}", float(i % len(CHOICES.choices)), CHOICES)
        for step in (10, 3) if i % 3 else ():
            s.set_trial_intermediate_value(
                t.trial_id, step, (0.1 * step, -1.0), ((0.5, 1.0), (0.25, 2.0), (1.0, 0.0))
            )
        if i != 4:
            s.set_trial_user_attr(t.trial_id, "metrics", {"ndcg": [0.5, i], "nan": float("nan")})
            s.set_trial_system_attr(t.trial_id, "note", "é\"'\n")
            s.set_trial_constraints(t.trial_id, (-1.0, 0.5 * i))
        if i == 5:
            s.finish_trial(t.trial_id, TrialState.FAIL, None, "it broke")
        else:
            s.finish_trial(t.trial_id, TrialState.COMPLETE if i % 2 else TrialState.PRUNED, (0.5 * i, 2.0))
    s.create_new_trial(
        sid, FrozenTrial(number=-1, state=TrialState.WAITING, params={"k": 64}, distributions={"k": INT})
    )
    before = s.get_all_trials(sid)
    s.close()

    again = SQLStorage(url)
    after = again.get_all_trials(again.get_study_id_from_name("all"))
    assert len(after) == len(before) == 7
    for a, b in zip(after, before, strict=True):
        assert (a.trial_id, a.number, a.state, a.values, a.fail_reason) == (
            b.trial_id,
            b.number,
            b.state,
            b.values,
            b.fail_reason,
        )
        assert dict(a.params) == dict(b.params) and list(a.params) == list(b.params)
        assert all(type(a.params[k]) is type(b.params[k]) for k in b.params)
        assert dict(a.distributions) == dict(b.distributions)
        assert dict(a.intermediate_values) == dict(b.intermediate_values)
        assert list(a.intermediate_values) == sorted(b.intermediate_values)
        assert dict(a.intermediate_scores) == dict(b.intermediate_scores)
        assert a.constraints == b.constraints
        assert dict(a.system_attrs) == dict(b.system_attrs)
        assert repr(dict(a.user_attrs)) == repr(dict(b.user_attrs))  # nan compares unequal, reprs do not
        assert (a.datetime_start, a.datetime_complete) == (b.datetime_start, b.datetime_complete)
    assert after[1].intermediate_scores[3] == ((0.5, 1.0), (0.25, 2.0), (1.0, 0.0))
    again.close()


def test_a_reopened_file_decodes_a_conditional_space_per_path(tmp_path: Path) -> None:
    """One name, two distributions (overlap's range follows chunk_size), params in suggestion order."""

    def objective(trial: ragtune.Trial) -> float:
        size = trial.suggest_int("chunk_size", 128, 1024, step=64)
        if size > 512:
            overlap = trial.suggest_int("overlap", 64, 128)
            kind = trial.suggest_categorical("retriever", ["bm25", "dense"])
        else:
            kind = trial.suggest_categorical("retriever", ["bm25", "dense"])
            overlap = trial.suggest_int("overlap", 16, 48, step=4)
        if kind != "bm25":
            trial.suggest_float("temperature", 0.01, 1.0, log=True)
        return size + overlap

    url = f"duckdb:///{tmp_path}/cond.duckdb"
    storage = SQLStorage(url)
    study = ragtune.create_study(storage=storage, study_name="cond", sampler=RandomSampler(seed=5))
    study.optimize(objective, n_trials=40)
    before = study.get_trials()
    storage.close()

    again = SQLStorage(url)
    after = ragtune.load_study(study_name="cond", storage=again).get_trials()
    paths = {tuple((k, d.to_json()) for k, d in t.distributions.items()) for t in before}
    assert len(paths) >= 4  # the test covers several paths, each with its own distributions
    for a, b in zip(after, before, strict=True):
        assert list(a.params.items()) == list(b.params.items())
        assert all(type(a.params[k]) is type(b.params[k]) for k in b.params)
        assert list(a.distributions.items()) == list(b.distributions.items())
    again.close()

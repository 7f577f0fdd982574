"""The narrow run-state API executors and callbacks use instead of Study's private members."""

from __future__ import annotations

import ragtune as rt


def test_stop_is_seen_until_the_next_run_begins_and_trials_are_counted_by_state():
    study = rt.create_study(direction="minimize", sampler=rt.samplers.RandomSampler(seed=0))
    assert not study.stop_requested
    study.stop()
    assert study.stop_requested
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)  # a new run forgets the old stop
    assert not study.stop_requested
    study.enqueue_trial({"x": 0.5})
    assert study.n_trials() == 4
    assert study.n_trials(states=(rt.TrialState.COMPLETE,)) == 3


def test_max_trials_callback_counts_through_the_study():
    study = rt.create_study(direction="minimize", sampler=rt.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=20, callbacks=[rt.MaxTrialsCallback(5)])
    assert study.n_trials() == 5 and study.stop_requested

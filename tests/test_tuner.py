"""Tuner end to end on python-docs: pruning on partial eval sets and resuming with other objectives."""

from __future__ import annotations

import pytest

import ragtune as rt
from ragtune.exceptions import ConfigError, StudyDirectionsMismatch
from ragtune.pipelines import Pipeline, chunkers, readers, retrievers
from ragtune.samplers import RandomSampler
from ragtune.storage import InMemoryStorage
from ragtune.tuner import Tuner


def _pipeline(trial: rt.Trial) -> Pipeline:
    size = trial.suggest_categorical("chunk_size", [64, 1024])
    k = trial.suggest_categorical("k", [1, 10])
    return Pipeline(
        chunker=chunkers.Window(size, 0), retriever=retrievers.BM25(), reader=readers.Extractive(), k=k
    )


def test_pruning_on_partial_eval_sets(tmp_path):
    from ragtune.pruners import MedianPruner

    tuner = Tuner(
        _pipeline,
        "python-docs",
        objectives=["ndcg@10"],
        sampler=RandomSampler(seed=4),
        pruner=MedianPruner(n_startup_trials=3, n_warmup_steps=0),
        cache=tmp_path / "cache",
        seed=1,
    )
    study = tuner.optimize(n_trials=16)
    n_questions = len(tuner.evaluator.questions)
    pruned = study.get_trials(states=(rt.TrialState.PRUNED,))
    assert pruned, "bad configs (tiny chunks, k=1) should be pruned after the first rung"
    assert all((t.last_step or 0) < n_questions for t in pruned)
    assert study.best_trial.state is rt.TrialState.COMPLETE
    assert study.best_trial.last_step == n_questions
    assert study.best_trial.params["k"] == 10


def test_resuming_with_other_objectives_is_an_error(tmp_path):
    storage = InMemoryStorage()
    Tuner(_pipeline, "python-docs", objectives=["ndcg@10"], storage=storage, study_name="s", cache=False)
    with pytest.raises(StudyDirectionsMismatch, match=r"created with objectives \['ndcg@10'\]"):
        Tuner(
            _pipeline, "python-docs", objectives=["recall@10"], storage=storage, study_name="s", cache=False
        )


def test_pipeline_returning_the_wrong_type_fails_the_trial():
    tuner = Tuner(lambda t: 42, "python-docs", objectives=["ndcg@10"], cache=False)  # type: ignore[arg-type, return-value]
    tuner.optimize(n_trials=1)  # caught by default: the trial is FAIL with its reason
    (trial,) = tuner.study.trials
    assert trial.state is rt.TrialState.FAIL
    assert (
        trial.fail_reason
        == "ConfigError: pipeline(trial) must return a ragtune.pipelines.Pipeline, but returned int"
    )
    with pytest.raises(ConfigError, match="must return a ragtune.pipelines.Pipeline, but returned int"):
        tuner.optimize(n_trials=1, catch=())  # catch=() stops at the first failure


def test_the_tuner_stops_early_when_every_trial_fails_the_same_way():
    tuner = Tuner(
        lambda t: t.suggest_int("x", 0, 9) and 42, "python-docs", objectives=["ndcg@10"], cache=False
    )  # type: ignore[arg-type, return-value]
    tuner.optimize(n_trials=20)
    assert [t.state for t in tuner.study.trials] == [rt.TrialState.FAIL] * 5
    assert tuner.stopped_early is not None and tuner.stopped_early.numbers == [0, 1, 2, 3, 4]
    assert tuner.stopped_early.reason.startswith("ConfigError: pipeline(trial) must return")


def test_a_storage_object_gives_the_tuner_its_url(tmp_path):
    # Executors that reopen the storage elsewhere (Ray) need the URL of a Storage passed as an object.
    from ragtune.storage.sql.storage import SQLStorage

    url = f"duckdb:///{tmp_path / 'runs.duckdb'}"
    storage = SQLStorage(url)
    try:
        assert storage.reopen_url() == url
        tuner = Tuner(lambda t: None, "python-docs", storage=storage, objectives=["f1:max"])
        assert tuner.storage_url == url
    finally:
        storage.close()
    assert (
        Tuner(lambda t: None, "python-docs", storage=InMemoryStorage(), objectives=["f1:max"]).storage_url
        is None
    )

"""Trial: define-by-run suggestions, conflicts, reporting, FixedTrial."""

from __future__ import annotations

import pytest

import ragtune as rt
from ragtune.exceptions import (
    DistributionConflictError,
    DistributionError,
    ObjectiveValueError,
    ValidationError,
)
from ragtune.samplers import RandomSampler


def _study(**kw):
    return rt.create_study(sampler=RandomSampler(seed=0), **kw)


def test_suggest_values_are_inside_and_repeatable_within_a_trial():
    study = _study()
    trial = study.ask()
    size = trial.suggest_int("chunk_size", 128, 1024, step=64)
    assert 128 <= size <= 1024 and (size - 128) % 64 == 0
    assert trial.suggest_int("chunk_size", 128, 1024, step=64) == size
    lr = trial.suggest_float("lr", 1e-5, 1e-2, log=True)
    assert 1e-5 <= lr <= 1e-2
    kind = trial.suggest_categorical("retriever", ["bm25", "dense", "hybrid"])
    assert kind in ("bm25", "dense", "hybrid")
    assert trial.params == {"chunk_size": size, "lr": lr, "retriever": kind}


def test_resuggest_with_other_distribution_names_both():
    study = _study()
    trial = study.ask()
    trial.suggest_int("k", 1, 10)
    with pytest.raises(DistributionConflictError) as info:
        trial.suggest_float("k", 1.0, 10.0)
    msg = str(info.value)
    assert "IntDistribution(low=1, high=10" in msg and "FloatDistribution(low=1.0, high=10.0" in msg


def test_cross_trial_type_or_choice_change_is_an_error():
    study = _study()
    study.optimize(lambda t: float(t.suggest_categorical("r", ["bm25", "dense"]) == "bm25"), n_trials=3)
    trial = study.ask()
    with pytest.raises(DistributionConflictError) as info:
        trial.suggest_categorical("r", ["bm25", "hybrid"])
    assert "('bm25', 'dense')" in str(info.value) and "('bm25', 'hybrid')" in str(info.value)


@pytest.mark.parametrize(
    ("call", "exc", "message"),
    [
        (lambda t: t.suggest_float("x", 1.0, 0.0), DistributionError, "low must be <= high"),
        (lambda t: t.suggest_float("x", 0.0, 1.0, log=True), DistributionError, "log=True needs low > 0"),
        (lambda t: t.suggest_int("x", 0, 10, step=3), DistributionError, "step must divide high - low"),
        (lambda t: t.suggest_categorical("x", []), DistributionError, "choices must not be empty"),
        (lambda t: t.suggest_int("x", 0.5, 3), ValidationError, "low must be an int"),
    ],
)
def test_bad_suggest_arguments(call, exc, message):
    trial = _study().ask()
    with pytest.raises(exc, match=message):
        call(trial)


def test_single_point_distribution_returns_the_point():
    trial = _study().ask()
    assert trial.suggest_int("n", 7, 7) == 7
    assert trial.suggest_categorical("only", ["x"]) == "x"


def test_report_validates_and_stores_vectors():
    study = rt.create_study(directions=["maximize", "minimize"], sampler=RandomSampler(seed=1))
    trial = study.ask()
    trial.report([0.5, 12.0], step=10, scores=[[1.0, 10.0], [0.0, 14.0]])
    with pytest.raises(ObjectiveValueError, match="report\\(\\) got 3 values"):
        trial.report([1.0, 2.0, 3.0], step=20)
    with pytest.raises(ObjectiveValueError, match="finite"):
        trial.report(float("nan"), step=30)
    with pytest.raises(ValidationError, match="step must be an int >= 0"):
        trial.report(1.0, step=-1)
    frozen = study.tell(trial, [0.6, 11.0])
    assert frozen.intermediate_values == {10: (0.5, 12.0)}
    assert frozen.intermediate_scores[10] == ((1.0, 10.0), (0.0, 14.0))


def test_fixed_trial_replays_and_validates():
    def pipeline(trial):
        size = trial.suggest_int("chunk_size", 128, 1024, step=64)
        overlap = (
            trial.suggest_int("overlap", 64, 128) if size > 512 else trial.suggest_int("overlap", 16, 48)
        )
        return size + overlap

    assert pipeline(rt.FixedTrial({"chunk_size": 640, "overlap": 100})) == 740
    with pytest.raises(ValidationError, match="outside IntDistribution"):
        pipeline(rt.FixedTrial({"chunk_size": 256, "overlap": 100}))
    with pytest.raises(ValidationError, match="no value for 'overlap'"):
        pipeline(rt.FixedTrial({"chunk_size": 256}))

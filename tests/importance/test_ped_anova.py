"""PED-ANOVA importance on studies where the answer is known, hand-computed divergences, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic import objective, two_objectives

import ragtune as rt
from ragtune.exceptions import NoCompletedTrials, ValidationError
from ragtune.importance import (
    ParamColumn,
    PedAnovaImportanceEvaluator,
    get_param_importances,
    get_param_importances_per_objective,
)
from ragtune.samplers import RandomSampler


def synthetic_study(seed: int, n_trials: int = 300) -> rt.Study:
    rng = np.random.default_rng(1000 + seed)
    study = rt.create_study(sampler=RandomSampler(seed=seed))
    study.optimize(lambda t: objective(t, rng), n_trials=n_trials)
    return study


@pytest.mark.parametrize("seed", range(10))
def test_ranking_is_right_on_ten_seeds(seed):
    imp = get_param_importances(synthetic_study(seed))
    assert set(imp) == {"drive", "noise", "branch", "cond"}
    assert sum(imp.values()) == pytest.approx(1.0)
    assert next(iter(imp)) == "drive"  # the driving param comes first
    assert imp["cond"] > imp["noise"]  # the conditional param matters, inside its branch
    assert min(imp, key=imp.__getitem__) == "noise"
    assert imp["noise"] < 0.05


def test_categorical_divergence_matches_hand_computation():
    # 10 trials; the 1 best (target quantile 0.1) has choice 0. Region counts [3, 7], target [1, 0].
    # Prior share 1 / (1 + 1) = 1/2 of a uniform [1/2, 1/2] mixed into both:
    # p_region = 1/2 [0.3, 0.7] + 1/4 = [0.4, 0.6], p_target = 1/2 [1, 0] + 1/4 = [0.75, 0.25].
    values = np.array([0, 0, 0, 1, 1, 1, 1, 1, 1, 1], dtype=float)
    losses = np.arange(10, dtype=float)
    ev = PedAnovaImportanceEvaluator(target_quantile=0.1)
    got = ev.evaluate([ParamColumn("c", values, 2)], losses)["c"]
    p_region, p_target = np.array([0.4, 0.6]), np.array([0.75, 0.25])
    assert got == pytest.approx(float(np.sum(p_target**2 / p_region) - 1))


def test_a_param_identical_in_both_sets_scores_zero():
    values = np.zeros(20)
    ev = PedAnovaImportanceEvaluator()
    assert ev.evaluate([ParamColumn("x", values, 0)], np.arange(20.0))["x"] == pytest.approx(0.0)


def test_conditional_param_weighted_by_its_share_of_trials():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=200)
    losses = x.copy()
    half = x.copy()
    half[100:] = np.nan  # present in half of the trials only, with the same relation there
    ev = PedAnovaImportanceEvaluator()
    full = ev.evaluate([ParamColumn("x", x, 0)], losses)["x"]
    part = ev.evaluate([ParamColumn("x", half, 0)], losses)["x"]
    assert 0.3 * full < part < 0.7 * full


def test_per_objective_and_direction():
    rng = np.random.default_rng(7)
    study = rt.create_study(directions=["minimize", "maximize"], sampler=RandomSampler(seed=3))
    study.optimize(lambda t: two_objectives(t, rng), n_trials=300)
    both = get_param_importances_per_objective(study)
    assert list(both) == ["values_0", "values_1"]
    assert next(iter(both["values_0"])) == "drive"
    assert next(iter(both["values_1"])) == "noise"
    assert get_param_importances(study, objective=1) == both["values_1"]
    # Judging the second objective as minimised (wrong way round) still finds "noise" decisive.
    flipped = get_param_importances(study, target=lambda t: float(t.values[1]))
    assert next(iter(flipped)) == "noise"


def test_bad_input_is_one_clear_line():
    study = rt.create_study(directions=["minimize", "maximize"])
    with pytest.raises(NoCompletedTrials, match="at least 2 completed trials"):
        get_param_importances(study, objective=0)
    rng = np.random.default_rng(0)
    study.optimize(lambda t: two_objectives(t, rng), n_trials=5)
    with pytest.raises(ValidationError, match="pass objective="):
        get_param_importances(study)
    with pytest.raises(ValidationError, match="objective must be one of values_0, values_1"):
        get_param_importances(study, objective="ndcg")
    with pytest.raises(ValidationError, match="target_quantile must be <= region_quantile"):
        PedAnovaImportanceEvaluator(target_quantile=0.5, region_quantile=0.2)

"""fANOVA with a random forest: hand-computed decompositions, a tree that recovers them, the ranking."""

from __future__ import annotations

import numpy as np
import pytest
from test_ped_anova import synthetic_study

from ragtune.importance import get_param_importances
from ragtune.importance.fanova import FanovaImportanceEvaluator, tree_main_effects
from ragtune.importance.forest import Leaf, fit_tree

ALL = (np.ones(1, dtype=bool),)


def box(value: float, low: tuple[float, float], high: tuple[float, float]) -> Leaf:
    return Leaf(value, np.array(low), np.array(high), ALL * 2)


def test_main_effects_of_four_quadrants_by_hand():
    # f = 3 [x1 > .5] + [x2 > .5]: mean 2, variance 6.5 - 4 = 2.5; a_1 = (0.5, 3.5) -> 2.25, a_2 = (1.5, 2.5) -> 0.25.
    leaves = [
        box(0.0, (0, 0), (0.5, 0.5)),
        box(1.0, (0, 0.5), (0.5, 1)),
        box(3.0, (0.5, 0), (1, 0.5)),
        box(4.0, (0.5, 0.5), (1, 1)),
    ]
    effects, total = tree_main_effects(leaves, (0, 0))
    assert total == pytest.approx(2.5)
    assert effects.tolist() == pytest.approx([2.25, 0.25])


def test_categorical_main_effect_by_hand():
    # Choice 0 gives 3, choices 1 and 2 give 0: mean 1, variance 9/3 - 1 = 2, all of it the choice's.
    leaves = [
        Leaf(3.0, np.zeros(1), np.ones(1), (np.array([True, False, False]),)),
        Leaf(0.0, np.zeros(1), np.ones(1), (np.array([False, True, True]),)),
    ]
    effects, total = tree_main_effects(leaves, (3,))
    assert (effects.tolist(), total) == (pytest.approx([2.0]), pytest.approx(2.0))


def test_a_tree_fitted_on_a_grid_recovers_the_decomposition():
    grid = np.array([(a, b) for a in (0.25, 0.75) for b in (0.25, 0.75)] * 5)
    y = 3.0 * (grid[:, 0] > 0.5) + (grid[:, 1] > 0.5)
    leaves = fit_tree(grid, y, (0, 0), rng=np.random.default_rng(0), max_features=2)
    effects, total = tree_main_effects(leaves, (0, 0))
    assert total == pytest.approx(2.5)
    assert effects.tolist() == pytest.approx([2.25, 0.25])


@pytest.mark.parametrize("seed", range(3))
def test_ranking_on_the_conditional_study(seed):
    imp = get_param_importances(
        synthetic_study(seed, 200), evaluator=FanovaImportanceEvaluator(n_trees=8, seed=seed)
    )
    assert next(iter(imp)) == "drive"
    assert imp["cond"] > imp["noise"]
    assert min(imp, key=imp.__getitem__) == "noise"

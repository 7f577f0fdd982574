"""fANOVA parameter importance with a random forest (Hutter, Hoos and Leyton-Brown, ICML 2014).

Fit a regression forest to the target, then for each tree decompose the variance of its
prediction over the whole search space (uniform over ``[0, 1]`` per numerical column and over the
choices of a categorical one): the importance of parameter ``d`` is the variance of its main
effect ``a_d(x_d) = ∫ f(x) dx_{-d}`` over the total variance (the paper's Eq. 1-3, single
parameters only), averaged over trees. For a tree, leaves are boxes, so ``a_d`` is piecewise
constant between the tree's split points on ``d``: one pass over the leaves per cell.

Conditional parameters: the forest is fitted on the trials that have every parameter of the
group being scored. Parameters all trials share are scored on all trials; a conditional
parameter is scored on the trials of its branch (with the shared ones beside it) and weighted by
the branch's share of trials, as in :mod:`ragtune.importance.ped_anova`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ragtune.exceptions import ValidationError
from ragtune.importance.forest import Leaf, fit_tree
from ragtune.importance.space import ParamColumn

__all__ = ["FanovaImportanceEvaluator", "tree_main_effects"]

FloatArray = npt.NDArray[np.float64]


def tree_main_effects(leaves: Sequence[Leaf], n_choices: Sequence[int]) -> tuple[FloatArray, float]:
    """Variance of each column's main effect and the total variance of one tree's prediction."""
    d = len(n_choices)
    frac = np.ones((len(leaves), d))
    for i, leaf in enumerate(leaves):
        for j in range(d):
            frac[i, j] = leaf.allowed[j].mean() if n_choices[j] else leaf.high[j] - leaf.low[j]
    values = np.array([leaf.value for leaf in leaves])
    vol = frac.prod(axis=1)
    mean = float(np.sum(values * vol))
    total = float(np.sum(values**2 * vol)) - mean**2
    effects = np.zeros(d)
    if total <= 1e-15:
        return effects, 0.0
    for j in range(d):
        with np.errstate(divide="ignore", invalid="ignore"):
            rest = np.where(frac[:, j] > 0, vol / frac[:, j], 0.0)  # volume of the other columns
        if n_choices[j]:
            inside = np.array([leaf.allowed[j] for leaf in leaves])  # (leaves, choices)
            a = (values * rest) @ inside  # main effect per choice
            effects[j] = float(np.mean(a**2)) - mean**2
            continue
        cuts = np.unique(
            np.concatenate([[0.0, 1.0], [leaf.low[j] for leaf in leaves], [leaf.high[j] for leaf in leaves]])
        )
        mids, widths = (cuts[1:] + cuts[:-1]) / 2, np.diff(cuts)
        lows = np.array([leaf.low[j] for leaf in leaves])
        highs = np.array([leaf.high[j] for leaf in leaves])
        inside_n = (lows[:, None] <= mids[None, :]) & (mids[None, :] <= highs[:, None])
        a = (values * rest) @ inside_n
        effects[j] = float(np.sum(widths * a**2)) - mean**2
    return np.maximum(effects, 0.0), total


class FanovaImportanceEvaluator:
    """fANOVA over a random forest of ``n_trees`` trees (seeded), fitted on at most ``max_samples``
    bootstrap rows per tree; ``max_features`` columns are tried per split (all when ``None``)."""

    def __init__(
        self,
        *,
        n_trees: int = 16,
        max_depth: int = 10,
        min_samples_leaf: int = 2,
        max_samples: int = 2000,
        max_features: int | None = None,
        seed: int | None = 0,
    ) -> None:
        if n_trees < 1:
            raise ValidationError(f"n_trees must be >= 1, but got n_trees={n_trees}")
        self.n_trees, self.max_depth, self.min_leaf = n_trees, max_depth, min_samples_leaf
        self.max_samples, self.max_features, self.seed = max_samples, max_features, seed

    def __repr__(self) -> str:
        return f"FanovaImportanceEvaluator(n_trees={self.n_trees}, seed={self.seed})"

    def _scores(
        self, columns: Sequence[ParamColumn], rows: npt.NDArray[np.bool_], losses: FloatArray
    ) -> FloatArray:
        x = np.column_stack([c.values[rows] for c in columns])
        y = losses[rows]
        n_choices = tuple(c.n_choices for c in columns)
        rng = np.random.default_rng(self.seed)
        feats = self.max_features or len(columns)
        acc, used = np.zeros(len(columns)), 0
        for _ in range(self.n_trees):
            sample = rng.integers(0, y.size, size=min(y.size, self.max_samples))
            leaves = fit_tree(
                x[sample],
                y[sample],
                n_choices,
                rng=rng,
                max_features=feats,
                min_leaf=self.min_leaf,
                max_depth=self.max_depth,
            )
            effects, total = tree_main_effects(leaves, n_choices)
            if total > 0:
                acc += effects / total
                used += 1
        return acc / used if used else acc

    def evaluate(self, columns: Sequence[ParamColumn], losses: FloatArray) -> dict[str, float]:
        """Unnormalised importances (the share of variance each parameter's main effect explains)."""
        finite = np.isfinite(losses)
        n_all = int(finite.sum())
        out = {c.name: 0.0 for c in columns}
        shared = [c for c in columns if bool(c.present[finite].all())]
        if shared and n_all >= 2:
            for c, s in zip(shared, self._scores(shared, finite, losses), strict=True):
                out[c.name] = float(s)
        for c in columns:
            if c in shared:
                continue
            rows = finite & c.present
            if int(rows.sum()) < 2:
                continue
            group = [*(s for s in shared if bool(s.present[rows].all())), c]
            out[c.name] = float(self._scores(group, rows, losses)[-1]) * int(rows.sum()) / n_all
        return out

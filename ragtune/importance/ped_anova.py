"""PED-ANOVA parameter importance (Watanabe, Bansal and Hutter, IJCAI 2023).

PED-ANOVA measures how much a parameter decides whether a trial lands among the best ones. Let
``b(x) = 1`` for the top ``gamma'`` quantile of trials (the *target* set) inside the top ``gamma``
quantile (the *region*, all trials when ``gamma = 1``). The paper's Theorem 1 shows that the
variance of ``b`` explained by parameter ``d`` (its local functional-ANOVA importance) equals, up
to the constant ``(gamma' / gamma)^2`` shared by every parameter, the Pearson divergence of the two
marginal densities of ``x_d``::

    v_d  ∝  ∫ p_region(x_d) (p_target(x_d) / p_region(x_d) - 1)^2 dx_d  =  Σ_g p_target(g)^2 / p_region(g) - 1

so no surrogate model is fitted: the densities are one-dimensional Parzen estimators (Gaussian
kernels with Scott's bandwidth on a grid in ``[0, 1]``; counts for categoricals), each mixed with
a uniform prior (weight ``prior_weight`` samples against the target set's size, the same share
for both densities) so a handful of samples cannot give an infinite ratio.

Conditional parameters: ``x_d`` only exists in the subspace of trials that took its branch; the
divergence is computed there (quantiles of that subspace, the paper's "arbitrary subspace" HPI)
and weighted by the share of trials in the subspace, since the parameter can only explain
variance where it exists. Optuna drops such parameters instead (it scores only parameters that
every trial has).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ragtune.exceptions import ValidationError
from ragtune.importance.space import ParamColumn

__all__ = ["PedAnovaImportanceEvaluator"]

FloatArray = npt.NDArray[np.float64]


def _check_quantile(name: str, value: float) -> float:
    if not 0.0 < value <= 1.0:
        raise ValidationError(f"{name} must be in (0, 1], but got {name}={value}")
    return float(value)


class PedAnovaImportanceEvaluator:
    """PED-ANOVA importance of each parameter for one minimised target.

    ``target_quantile`` (gamma') is the share of trials counted as "good"; ``region_quantile``
    (gamma >= gamma') the share the importance is local to (1.0: the whole space). ``n_steps`` grid
    points evaluate the densities of continuous params; ``prior_weight`` is the weight, in samples,
    of the uniform prior mixed into each density.
    """

    def __init__(
        self,
        *,
        target_quantile: float = 0.1,
        region_quantile: float = 1.0,
        n_steps: int = 50,
        prior_weight: float = 1.0,
    ) -> None:
        self.target_quantile = _check_quantile("target_quantile", target_quantile)
        self.region_quantile = _check_quantile("region_quantile", region_quantile)
        if self.target_quantile > self.region_quantile:
            raise ValidationError(
                "target_quantile must be <= region_quantile, but got "
                f"target_quantile={target_quantile}, region_quantile={region_quantile}"
            )
        if n_steps < 2:
            raise ValidationError(f"n_steps must be >= 2, but got n_steps={n_steps}")
        if prior_weight <= 0:
            raise ValidationError(f"prior_weight must be > 0, but got prior_weight={prior_weight}")
        self.n_steps = int(n_steps)
        self.prior_weight = float(prior_weight)

    def __repr__(self) -> str:
        return (
            f"PedAnovaImportanceEvaluator(target_quantile={self.target_quantile}, "
            f"region_quantile={self.region_quantile})"
        )

    def evaluate(self, columns: Sequence[ParamColumn], losses: FloatArray) -> dict[str, float]:
        """Unnormalised importances (>= 0) of ``columns`` for ``losses`` (lower is better; NaN: skip)."""
        finite = np.isfinite(losses)
        n_all = int(finite.sum())
        out: dict[str, float] = {}
        for col in columns:
            rows = col.present & finite
            n = int(rows.sum())
            out[col.name] = (
                0.0 if n < 2 else (n / n_all) * self._divergence(col, col.values[rows], losses[rows])
            )
        return out

    def _divergence(self, col: ParamColumn, x: FloatArray, y: FloatArray) -> float:
        n = x.shape[0]
        order = np.argsort(y, kind="stable")
        n_region = min(n, max(2, math.ceil(self.region_quantile * n)))
        n_target = min(n_region, max(1, math.ceil(self.target_quantile * n)))
        if n_target >= n_region:
            return 0.0
        region, target = x[order[:n_region]], x[order[:n_target]]
        if col.categorical:
            k_region, k_target = _counts(region, col.n_choices), _counts(target, col.n_choices)
        else:
            grid = col.grid if col.grid is not None else np.linspace(0.0, 1.0, self.n_steps)
            k_region, k_target = _parzen(region, grid), _parzen(target, grid)
        # One prior share for both densities (that of the smaller, target set): equal marginals
        # then give exactly 0, and the ratio stays bounded however few targets there are.
        eps = self.prior_weight / (n_target + self.prior_weight)
        uniform = 1.0 / k_region.shape[0]
        p_region = (1.0 - eps) * k_region + eps * uniform
        p_target = (1.0 - eps) * k_target + eps * uniform
        return max(0.0, float(np.sum(p_target**2 / p_region)) - 1.0)


def _counts(x: FloatArray, n_choices: int) -> FloatArray:
    counts = np.bincount(x.astype(np.int64), minlength=n_choices).astype(np.float64)
    return np.asarray(counts / counts.sum(), dtype=np.float64)


def _parzen(x: FloatArray, grid: FloatArray) -> FloatArray:
    """A Gaussian Parzen estimator of ``x`` (Scott's bandwidth) as weights on ``grid`` summing to 1."""
    m = x.shape[0]
    spacing = 1.0 / max(len(grid) - 1, 1)
    scott = 1.059 * float(np.std(x)) * m ** (-0.2) if m > 1 else 0.0
    h = max(scott, spacing)  # never narrower than the grid: a spike between points would vanish
    kernel = np.exp(-0.5 * ((grid[:, None] - x[None, :]) / h) ** 2).sum(axis=1)
    return np.asarray(kernel / kernel.sum(), dtype=np.float64)

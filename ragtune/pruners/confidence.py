"""One-sided confidence bounds of partial-evaluation losses, from per-question scores or history."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def t_quantile(level: float, df: npt.ArrayLike) -> FloatArray:
    """Student-t quantile ``t_{level, df}`` (Student 1908), elementwise over ``df``."""
    from scipy.special import stdtrit

    out: FloatArray = np.asarray(stdtrit(np.asarray(df, dtype=float), level), dtype=float)
    return out


def variance_floor(score_n: IntArray, score_sd: FloatArray) -> FloatArray:
    """Per column, the median per-question variance over rows with at least two scores (0 if none).

    A configuration that scored the same on its first few questions has a sample variance of 0,
    which would make its interval a point; metrics of different configurations on the same
    questions vary on a similar scale, so the median variance at the rung is used as a floor.
    """
    usable = score_n >= 2
    var = score_sd**2
    out = np.zeros(var.shape[1])
    for j in np.flatnonzero(usable.any(axis=0)):
        out[j] = float(np.median(var[usable[:, j], j]))
    return out


def rung_error_half_width(rung_losses: FloatArray, final_losses: FloatArray, *, alpha: float) -> FloatArray:
    """Half-width for reports without scores, calibrated on trials that ran past the rung.

    ``rung_losses`` / ``final_losses`` hold, for finished trials, the vector at this rung and
    the last one they reported (shape ``(k, m)``). Their differences are exactly the error a rung
    value makes about the final value; with ``rms`` their root mean square per objective, the
    half-width is ``t_{1-alpha, k} * rms``. Fewer than two such trials: infinite (no knowledge).
    """
    k, m = rung_losses.shape
    if k < 2:
        return np.full(m, np.inf)
    rms = np.sqrt(np.mean((rung_losses - final_losses) ** 2, axis=0))
    out: FloatArray = t_quantile(1.0 - alpha, k) * rms
    return out


def half_widths(
    score_n: IntArray,
    score_sd: FloatArray,
    *,
    alpha: float,
    floor: FloatArray,
    without_scores: FloatArray,
) -> FloatArray:
    """Half-width of a one-sided ``1 - alpha`` bound of each reported value, shape of ``score_sd``.

    ``t_{1-alpha, n-1} * sqrt(max(s^2, floor) / n)`` for ``n >= 2`` scores (the t quantile keeps
    small rungs honest); infinite for a single score (nothing is known about the spread);
    ``without_scores`` (per column) where no scores came with the report.
    """
    n = score_n.astype(float)
    t = t_quantile(1.0 - alpha, np.maximum(n - 1.0, 1.0))
    var = np.maximum(np.nan_to_num(score_sd, nan=0.0) ** 2, floor)
    hw = t * np.sqrt(var / np.maximum(n, 1.0))
    fallback = np.broadcast_to(without_scores, score_sd.shape)
    out: FloatArray = np.where(score_n >= 2, hw, np.where(score_n == 1, np.inf, fallback))
    return out


def paired_upper_bound(differences: FloatArray, center: FloatArray, *, alpha: float) -> FloatArray:
    """One-sided ``1 - alpha`` upper bound of each column's mean loss difference (paired t-test).

    ``differences`` holds per-question loss differences ``B - A`` of two trials that answered the
    same questions (shape ``(n, m)``, ``n >= 2``); the bound is ``center + t_{1-alpha, n-1} * s_d /
    sqrt(n)`` around ``center``, the difference of the reported values. When both trials answered
    the same questions in the same order the per-question difficulty cancels (the paired design,
    Student 1908); when rows are unrelated the differences are still i.i.d. and the bound holds.
    """
    n = differences.shape[0]
    sd = np.std(differences, axis=0, ddof=1)
    out: FloatArray = center + t_quantile(1.0 - alpha, n - 1) * sd / np.sqrt(n)
    return out

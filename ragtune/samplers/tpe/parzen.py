"""Parzen estimators: weighted mixtures of product kernels in unit coordinates, TPE's l(x) and g(x).

Bergstra, Bardenet, Bengio & Kégl, "Algorithms for hyper-parameter optimization", NeurIPS 2011,
Sec. 4 (TPE), and Watanabe, "Tree-structured Parzen estimator: understanding its algorithm
components and their roles for better empirical performance", arXiv:2304.11127, 2023, Sec. 3:
every observation is one mixture component, plus a broad prior component; numeric dimensions use
Gaussian kernels truncated to the domain (a grid point's probability is the kernel's mass over its
bin), categorical dimensions the Aitchison–Aitken kernel (Aitchison & Aitken, Biometrika 63(3),
1976).
"""

from __future__ import annotations

import functools
import math
from types import ModuleType

import numpy as np

from ragtune.samplers.tpe.space import UnitSpace

LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
TINY = 1e-300
# exp() and ndtr() are 10 to 70 times slower where their result underflows (denormals), which
# far-away kernels hit all the time; clipping arguments first keeps every result normal and
# changes sums by less than 1e-250 relative.
EXP_FLOOR = -600.0
_EXP_FLOOR_32 = np.float32(-80.0)  # float32 denormals start near exp(-87)
_Z_LIMIT = 37.0
# The prior kernel N(0.5, 1) keeps erf(0.5 / sqrt(2)) of its mass inside [0, 1].
_LOG_PRIOR_MASS = math.log(math.erf(0.5 / math.sqrt(2.0)))


_floor_cache: list[np.ndarray] = [np.zeros(0, np.float32)]


def _floor_32(shape: tuple[int, ...]) -> np.ndarray:
    """A read-only float32 array of ``shape`` filled with the exp() floor.

    ``np.maximum`` against a full array runs vectorised, about 3 times faster than against a
    scalar (numpy 2.x); the filled buffer is kept and grown as needed.
    """
    size = math.prod(shape)
    buf = _floor_cache[0]
    if buf.size < size:
        buf = np.full(max(size, 2 * buf.size), _EXP_FLOOR_32)
        buf.flags.writeable = False
        _floor_cache[0] = buf
    return buf[:size].reshape(shape)


def special() -> ModuleType:
    """scipy.special, imported on first use (it costs ~0.3 s, paid only once a model is fitted)."""
    import scipy.special

    module: ModuleType = scipy.special
    return module


def normal_mass(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """P(a < Z < b) for a standard normal Z, accurate in both tails (a <= b)."""
    ndtr = special().ndtr
    a = np.clip(a, -_Z_LIMIT, _Z_LIMIT)
    b = np.clip(b, -_Z_LIMIT, _Z_LIMIT)
    upper = a > 0.0
    out: np.ndarray
    if not upper.any():
        out = ndtr(b) - ndtr(a)
    else:
        out = np.where(upper, ndtr(-a) - ndtr(-b), ndtr(b) - ndtr(a))
    return out


def truncation_log_mass(mu: np.ndarray, sigma: np.ndarray | float) -> np.ndarray:
    """Log mass inside [0, 1] of Gaussian kernels N(mu, sigma^2), elementwise.

    Kernels more than 8 bandwidths from both ends keep all but 1e-15 of their mass: 0 is
    returned for them without evaluating the normal CDF.
    """
    inv = 1.0 / np.asarray(sigma)  # broadcasts against mu in the products below
    lo = -mu * inv
    hi = lo + inv
    near = (lo > -8.0) | (hi < 8.0)
    out: np.ndarray
    if near.all():
        out = np.log(np.maximum(normal_mass(lo, hi), TINY))
    else:
        out = np.zeros(np.shape(mu))
        out[near] = np.log(np.maximum(normal_mass(lo[near], hi[near]), TINY))
    return out


def _logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    top = a.max(axis=axis, keepdims=True)
    shifted = np.maximum(a - top, EXP_FLOOR)
    out: np.ndarray = np.log(np.exp(shifted, out=shifted).sum(axis=axis)) + np.squeeze(top, axis=axis)
    return out


class ParzenEstimator:
    """A weighted mixture of product kernels over a :class:`UnitSpace`.

    ``centres`` (n, d) are the observations (categorical columns hold choice indices); component
    ``n`` is the prior: centre 0.5 and bandwidth 1 on numeric dimensions, uniform on categorical
    ones (Watanabe 2023, Sec. 3.4). ``log_w`` (n + 1,) are normalised log weights. ``sigma`` is
    (d_numeric,) when all observations share one bandwidth per dimension (densities then need one
    matrix product) or (n, d_numeric). ``eps`` (d_categorical,) is the Aitchison–Aitken mass
    spread over the other choices. ``log_mass`` optionally gives the observations' truncation log
    masses, (n, d_numeric).

    A grid dimension whose bandwidth is at least its widest bin uses the kernel density at the
    point times the bin width (the midpoint rule) instead of the kernel's exact mass over the bin.
    """

    def __init__(
        self,
        space: UnitSpace,
        centres: np.ndarray,
        log_w: np.ndarray,
        sigma: np.ndarray,
        eps: np.ndarray,
        *,
        log_mass: np.ndarray | None = None,
    ) -> None:
        self.space = space
        self.n = n = centres.shape[0]
        self.log_w = log_w
        self.shared = sigma.ndim == 1
        self.sigma_obs = sigma
        self.mu_obs = centres if space.all_cont else centres[:, space.num]
        dims = space.dims
        narrow = sigma if self.shared or n == 0 else sigma.min(axis=0)
        self.exact = [k for k in space.num_disc if n and narrow[k] < dims[space.num[k]].max_bin_width()]
        dn = len(space.num)
        self.gauss: list[int] | slice = (
            slice(None) if not self.exact else [k for k in range(dn) if k not in self.exact]
        )
        self.n_gauss = dn - len(self.exact)
        self.binned_gauss = [k for k in space.num_disc if k not in self.exact]
        self.lm_obs = truncation_log_mass(self.mu_obs, sigma) if log_mass is None else log_mass
        self.cat_centre = centres[:, space.cat].astype(np.int64) if space.cat else np.zeros((n, 0), np.int64)
        sizes = space.sizes
        self.log_same = np.log(np.maximum(1.0 - eps, TINY))
        self.log_other = np.log(np.maximum(eps / np.maximum(sizes - 1.0, 1.0), TINY))
        self.log_uniform = -np.log(np.maximum(sizes, 1.0))

    @functools.cached_property
    def base(self) -> np.ndarray:
        """Log weight plus the kernels' log normalisers, per component (n + 1,); joint densities only."""
        n, lm, sigma, g = self.n, self.lm_obs, self.sigma_obs, self.gauss
        base = np.empty(n + 1)
        log_sig = np.log(sigma[g]).sum() if self.shared else np.log(sigma[:, g]).sum(axis=1)
        base[:n] = -(lm.sum(axis=1) if self.exact == [] else lm[:, g].sum(axis=1)) - log_sig
        if self.exact:
            base[:n] -= lm[:, self.exact].sum(axis=1)
        base[n] = -len(self.space.num) * _LOG_PRIOR_MASS
        base -= self.n_gauss * LOG_SQRT_2PI
        out: np.ndarray = base + self.log_w
        return out

    # -- densities ---------------------------------------------------------------------------
    def _gauss_x(self, x: np.ndarray) -> np.ndarray:
        xn = x if self.space.all_cont else x[:, self.space.num]
        out: np.ndarray = xn if isinstance(self.gauss, slice) else xn[:, self.gauss]
        return out

    def _sigma_full(self, k: int) -> np.ndarray:
        s = self.sigma_obs
        out: np.ndarray = np.full(self.n, s[k]) if self.shared else s[:, k]
        return out

    def _exact_log_mass(self, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Log mass of the observation kernels (m, n) and the prior (m,) over the bins of ``x``."""
        j = self.space.num[k]
        lo, hi = self.space.dims[j].bins(x[:, j])
        mu, sig = self.mu_obs[None, :, k], self._sigma_full(k)[None, :]
        obs = normal_mass((lo[:, None] - mu) / sig, (hi[:, None] - mu) / sig)
        prior = normal_mass(lo - 0.5, hi - 0.5)
        return np.log(np.maximum(obs, TINY)), np.log(np.maximum(prior, TINY))

    def _log_terms(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Log weight plus log kernel at the rows of ``x``: observations (m, n) and the prior (m,)."""
        n, m = self.n, x.shape[0]
        prior = np.full(m, self.base[n])
        if self.n_gauss:
            xg = self._gauss_x(x)
            mu = self.mu_obs if isinstance(self.gauss, slice) else self.mu_obs[:, self.gauss]
            if self.shared:
                # -|a - b|^2 / 2 = a.b - |a|^2 / 2 - |b|^2 / 2: one matrix product for all pairs.
                inv = 1.0 / self.sigma_obs[self.gauss]
                a = xg * inv
                bt = (mu * inv).T
                obs = a @ bt
                obs += self.base[:n] - 0.5 * (bt * bt).sum(axis=0)
                obs -= 0.5 * (a * a).sum(axis=1)[:, None]
            else:
                z = (xg[:, None, :] - mu[None, :, :]) / self.sigma_obs[None, :, self.gauss]
                obs = self.base[None, :n] - 0.5 * (z * z).sum(axis=2)
            zp = xg - 0.5
            prior -= 0.5 * (zp * zp).sum(axis=1)
            for k in self.binned_gauss:
                width = self.space.dims[self.space.num[k]].log_bin_width(x[:, self.space.num[k]])
                obs += width[:, None]
                prior += width
        else:
            obs = np.empty((m, n))
            obs[:] = self.base[:n]
        for k in self.exact:
            o, p = self._exact_log_mass(x, k)
            obs += o
            prior += p
        for k, j in enumerate(self.space.cat):
            same = x[:, j].astype(np.int64)[:, None] == self.cat_centre[None, :, k]
            obs += np.where(same, self.log_same[k], self.log_other[k])
            prior += self.log_uniform[k]
        return obs, prior

    def weighted_log_kernels(self, x: np.ndarray) -> np.ndarray:
        """Log weight plus log kernel of every component at every row of ``x``: (len(x), n + 1)."""
        obs, prior = self._log_terms(x)
        return np.concatenate([obs, prior[:, None]], axis=1)

    def log_pdf(self, x: np.ndarray) -> np.ndarray:
        """Log density (log probability on grid and categorical dimensions) at every row of ``x``."""
        obs, prior = self._log_terms(x)
        top = np.maximum(obs.max(axis=1), prior) if self.n else prior
        obs -= top[:, None]
        # Terms are <= 0 after the shift and one of them is 0: single precision suffices for the
        # sum, and float32 exp() runs several times faster than float64's.
        a = obs.astype(np.float32)
        np.maximum(a, _floor_32(a.shape), out=a)
        np.exp(a, out=a)
        total = a @ np.ones(self.n, np.float32) + np.exp(np.maximum(prior - top, EXP_FLOOR))
        out: np.ndarray = top + np.log(total)
        return out

    def marginal_log_pdf(self, x: np.ndarray) -> np.ndarray:
        """Log density of each dimension's marginal at every row of ``x``: (len(x), d).

        The marginal of a product-kernel mixture is the mixture of its one-dimensional kernels
        with the same weights; univariate TPE scores each parameter with it.
        """
        space, n = self.space, self.n
        out = np.empty(x.shape)
        lw = self.log_w
        gauss = [k for k in range(len(space.num)) if k not in self.exact]
        if gauss:
            cols = [space.num[k] for k in gauss]
            xg = x[:, cols]
            # Layout (candidate, dimension, component) so reductions run along contiguous memory;
            # single precision halves the traffic (scores only need ~1e-6 relative accuracy).
            sig_t = self.sigma_obs[gauss][:, None] if self.shared else self.sigma_obs[:, gauss].T
            # Transposed views are copied to C order once: ufuncs then stream contiguous memory.
            sig_32 = sig_t.astype(np.float32, order="C")
            lm_32 = self.lm_obs[:, gauss].T.astype(np.float32, order="C")
            const = lw[:n].astype(np.float32) - np.log(sig_32) - lm_32 - np.float32(LOG_SQRT_2PI)
            zp = xg - 0.5
            prior = lw[n] - 0.5 * zp * zp - _LOG_PRIOR_MASS - LOG_SQRT_2PI
            # Every kernel term is at most its dimension's largest constant, so that constant is a
            # safe shift for exp(); the prior's term, checked to be within exp(-40) of it, bounds the
            # sum from below, so terms clipped at exp(-80) under the shift change it by < n e^-40.
            shift = const.max(axis=1).astype(np.float64) if n else np.full(len(gauss), -np.inf)
            shift = np.maximum(shift, prior.max(axis=0))
            if n and float((prior - shift).min()) > -40.0:
                mu_t = self.mu_obs[:, gauss].T.astype(np.float32, order="C")
                a = np.empty((x.shape[0], len(gauss), n), np.float32)
                np.subtract(xg.astype(np.float32)[:, :, None], mu_t[None, :, :], out=a)
                a *= np.float32(math.sqrt(0.5)) / sig_32
                np.square(a, out=a)
                np.subtract(const - shift.astype(np.float32)[:, None], a, out=a)
                np.maximum(a, _floor_32(a.shape), out=a)
                np.exp(a, out=a)
                # A matrix-vector product sums the last axis several times faster than .sum().
                sums = a.reshape(-1, n) @ np.ones(n, np.float32)
                total = sums.reshape(prior.shape) + np.exp(prior - shift)
                top = np.broadcast_to(shift, prior.shape)
            else:  # no observations, or a prior weight too small to bound the sum: exact shifts
                z = (xg[:, :, None] - self.mu_obs[:, gauss].T[None, :, :]) / sig_t
                terms = lw[:n] - np.log(sig_t) - self.lm_obs[:, gauss].T - LOG_SQRT_2PI - 0.5 * z * z
                top = np.maximum(terms.max(axis=2), prior) if n else prior
                terms = np.exp(np.maximum(terms - top[:, :, None], EXP_FLOOR))
                total = terms.sum(axis=2) + np.exp(np.maximum(prior - top, EXP_FLOOR))
            out[:, cols] = top + np.log(total)
            for k in self.binned_gauss:
                j = space.num[k]
                out[:, j] += space.dims[j].log_bin_width(x[:, j])
        for k in self.exact:
            j = space.num[k]
            obs, prior_mass = self._exact_log_mass(x, k)
            a2 = np.concatenate(
                [obs - self.lm_obs[None, :, k], (prior_mass - _LOG_PRIOR_MASS)[:, None]], axis=1
            )
            out[:, j] = _logsumexp(a2 + lw, axis=1)
        for k, j in enumerate(space.cat):
            same = x[:, j].astype(np.int64)[:, None] == self.cat_centre[None, :, k]
            a = np.concatenate(
                [
                    np.where(same, self.log_same[k], self.log_other[k]),
                    np.full((x.shape[0], 1), self.log_uniform[k]),
                ],
                axis=1,
            )
            out[:, j] = _logsumexp(a + lw, axis=1)
        return out

    # -- sampling ----------------------------------------------------------------------------
    def sample(self, rng: np.random.Generator, size: int, *, independent: bool = False) -> np.ndarray:
        """``size`` draws in unit coordinates (grid dimensions snapped to their points).

        With ``independent`` every dimension picks its own component: draws from the product of
        the marginals, as univariate TPE needs.
        """
        space, n = self.space, self.n
        shape = (size, space.d) if independent else (size, 1)
        cdf = np.cumsum(np.exp(np.maximum(self.log_w, EXP_FLOOR)))
        comp = np.minimum(np.searchsorted(cdf, rng.random(shape) * cdf[-1], side="right"), n)
        out = np.empty((size, space.d))
        if space.num:
            dn = len(space.num)
            c = comp[:, space.num] if independent else np.broadcast_to(comp, (size, dn))
            prior = c == n
            cols = np.arange(dn)
            safe = np.minimum(c, max(n - 1, 0))
            mu = np.where(prior, 0.5, self.mu_obs[safe, cols] if n else 0.5)
            sig_obs = self.sigma_obs[None, :] if self.shared else (self.sigma_obs[safe, cols] if n else 1.0)
            sig = np.where(prior, 1.0, sig_obs)
            vals = _truncated_normal(rng, mu, sig)
            if space.all_cont:
                out = vals
            else:
                out[:, space.num] = vals
                space.snap(out)
        for k, j in enumerate(space.cat):
            size_j = int(space.sizes[k])
            ck = comp[:, j] if independent else comp[:, 0]
            prior = ck == n
            centre = np.where(prior, 0, self.cat_centre[np.minimum(ck, max(n - 1, 0)), k] if n else 0)
            p_stay = np.where(prior, 1.0 / size_j, math.exp(self.log_same[k]))
            stay = rng.random(size) < p_stay
            # Leaving the centre lands uniformly on another choice; the prior's draws are uniform.
            other = rng.integers(0, max(size_j - 1, 1), size=size)
            other = np.where(other >= centre, other + 1, other)
            out[:, j] = np.where(stay | (size_j == 1), centre, np.minimum(other, size_j - 1))
        return out


def _truncated_normal(rng: np.random.Generator, mu: np.ndarray, sig: np.ndarray) -> np.ndarray:
    """Draws of N(mu, sig^2) truncated to [0, 1] by inverting the CDF."""
    a = -mu / sig
    b = a + 1.0 / sig
    # Invert on the side of the interval nearer the mode, where ndtr keeps its precision.
    flip = a > 0.0
    if flip.any():
        a, b = np.where(flip, -b, a), np.where(flip, -a, b)
    sp = special()
    plo, phi = sp.ndtr(np.maximum(a, -_Z_LIMIT)), sp.ndtr(np.minimum(b, _Z_LIMIT))
    u = plo + rng.random(a.shape) * (phi - plo)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = sp.ndtri(u)
    z = np.clip(np.where(np.isfinite(z), z, a), a, b)
    if flip.any():
        z = np.where(flip, -z, z)
    out: np.ndarray = np.clip(mu + sig * z, 0.0, 1.0)
    return out

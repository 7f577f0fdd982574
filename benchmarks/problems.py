"""Benchmark problems for the sampler benchmarks, written against the suggest API both ragtune and Optuna share.

Single-objective problems return a loss to minimise and know their optimum (for regret); a noisy
problem records the noise-free value in ``trial.set_user_attr("true_value", ...)``. Multi-objective
problems return a tuple of losses and carry a hypervolume reference point.

Definitions follow Surjanovic & Bingham's Virtual Library of Simulation Experiments (Branin,
Hartmann 6-D, Styblinski-Tang, Rosenbrock, Ackley), Zitzler, Deb & Thiele 2000 (ZDT1-3) and Deb,
Thiele, Laumanns & Zitzler 2002 (DTLZ2).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

Objective = Callable[[Any], Any]


@dataclass(frozen=True)
class Problem:
    name: str
    objective: Objective
    optimum: float = 0.0
    noisy: bool = False
    reference: tuple[float, ...] = ()

    @property
    def n_objectives(self) -> int:
        return len(self.reference) if self.reference else 1


def _floats(trial: Any, n: int, low: float, high: float) -> np.ndarray:
    return np.array([trial.suggest_float(f"x{i}", low, high) for i in range(n)])


def branin(trial: Any) -> float:
    x = float(trial.suggest_float("x", -5.0, 10.0))
    y = float(trial.suggest_float("y", 0.0, 15.0))
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (y - b * x * x + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10


_H6_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_H6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def _hartmann6(x: np.ndarray) -> float:
    return float(-np.dot(_H6_ALPHA, np.exp(-np.sum(_H6_A * (x - _H6_P) ** 2, axis=1))))


def hartmann6(trial: Any) -> float:
    return _hartmann6(_floats(trial, 6, 0.0, 1.0))


def styblinski_tang10(trial: Any) -> float:
    x = _floats(trial, 10, -5.0, 5.0)
    return float(0.5 * np.sum(x**4 - 16 * x**2 + 5 * x))


def rosenbrock5(trial: Any) -> float:
    x = _floats(trial, 5, -5.0, 10.0)
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def ackley10(trial: Any) -> float:
    x = _floats(trial, 10, -32.768, 32.768)
    a = -20 * math.exp(-0.2 * math.sqrt(float(np.mean(x**2))))
    return a - math.exp(float(np.mean(np.cos(2 * math.pi * x)))) + 20 + math.e


_OPTIMISERS = {"sgd": 0.8, "adam": 0.0, "rmsprop": 0.5, "adagrad": 1.2, "lbfgs": 2.0}


def mixed(trial: Any) -> float:
    """Floats, ints (linear and log), a stepped float and categoricals; minimum 0."""
    a = trial.suggest_float("a", -5.0, 5.0)
    b = trial.suggest_int("b", -10, 10)
    c = trial.suggest_int("c", 1, 1024, log=True)
    opt = trial.suggest_categorical("optimiser", list(_OPTIMISERS))
    e = trial.suggest_float("e", 0.0, 5.0, step=0.25)
    flag = trial.suggest_categorical("flag", [True, False])
    return float(
        (a - 1.3) ** 2
        + ((b - 3) / 3) ** 2
        + (math.log2(c) - 6) ** 2 / 4
        + _OPTIMISERS[opt]
        + (e - 2.75) ** 2
        + (0.0 if flag else 1.0)
    )


_DENSE_MODELS = {"minilm": 0.1, "mpnet": 0.03, "e5": 0.0, "bge": 0.05}


def rag_conditional(trial: Any) -> float:
    """A RAG-shaped conditional space: chunk size sets the overlap range, each retriever has its knobs."""
    chunk = trial.suggest_int("chunk_size", 128, 2048, step=128)
    if chunk >= 1024:
        overlap = trial.suggest_int("overlap", 64, 256)
    else:
        overlap = trial.suggest_int("overlap", 0, 96)
    retriever = trial.suggest_categorical("retriever", ["bm25", "dense", "hybrid"])
    loss = 0.3 * (math.log2(chunk) - math.log2(768)) ** 2 + 20 * (overlap / chunk - 0.125) ** 2
    if retriever == "bm25":
        k1 = trial.suggest_float("bm25_k1", 0.5, 3.0)
        b = trial.suggest_float("bm25_b", 0.0, 1.0)
        loss += 0.3 + ((k1 - 1.2) / 2.5) ** 2 + (b - 0.75) ** 2
    elif retriever == "dense":
        model = trial.suggest_categorical("dense_model", list(_DENSE_MODELS))
        temperature = trial.suggest_float("dense_temperature", 1e-3, 1.0, log=True)
        loss += 0.15 + _DENSE_MODELS[model] + 0.1 * (math.log10(temperature) + 1.5) ** 2
    else:
        alpha = trial.suggest_float("hybrid_alpha", 0.0, 1.0)
        k1 = trial.suggest_float("hybrid_k1", 0.5, 3.0)
        loss += 2 * (alpha - 0.6) ** 2 + ((k1 - 1.4) / 2.5) ** 2
    top_k = trial.suggest_int("top_k", 1, 50, log=True)
    reranker = trial.suggest_categorical("reranker", ["none", "cross-encoder"])
    return float(loss + 0.05 * (math.log2(top_k) - 3) ** 2 + (0.05 if reranker == "none" else 0.0))


def make_noisy_hartmann6(seed: int) -> Objective:
    """Hartmann 6-D plus N(0, 0.1^2) noise; the noise-free value goes to the trial's user attrs."""
    rng = np.random.default_rng(seed + 10_000)

    def objective(trial: Any) -> float:
        true = _hartmann6(_floats(trial, 6, 0.0, 1.0))
        trial.set_user_attr("true_value", true)
        return true + float(rng.normal(0.0, 0.1))

    return objective


def _zdt_g(x: np.ndarray) -> float:
    return 1.0 + 9.0 * float(np.mean(x[1:]))


def zdt1(trial: Any) -> tuple[float, float]:
    x = _floats(trial, 30, 0.0, 1.0)
    g = _zdt_g(x)
    return float(x[0]), g * (1 - math.sqrt(x[0] / g))


def zdt2(trial: Any) -> tuple[float, float]:
    x = _floats(trial, 30, 0.0, 1.0)
    g = _zdt_g(x)
    return float(x[0]), g * (1 - (x[0] / g) ** 2)


def zdt3(trial: Any) -> tuple[float, float]:
    x = _floats(trial, 30, 0.0, 1.0)
    g = _zdt_g(x)
    h = 1 - math.sqrt(x[0] / g) - (x[0] / g) * math.sin(10 * math.pi * x[0])
    return float(x[0]), g * h


def dtlz2(trial: Any) -> tuple[float, float, float]:
    x = _floats(trial, 12, 0.0, 1.0)
    g = float(np.sum((x[2:] - 0.5) ** 2))
    a, b = x[0] * math.pi / 2, x[1] * math.pi / 2
    return (
        (1 + g) * math.cos(a) * math.cos(b),
        (1 + g) * math.cos(a) * math.sin(b),
        (1 + g) * math.sin(a),
    )


SINGLE_OBJECTIVE = [
    Problem("Branin", branin, optimum=0.397887357729738),
    Problem("Hartmann6", hartmann6, optimum=-3.322368011391339),
    Problem("Styblinski-Tang 10-D", styblinski_tang10, optimum=-39.16616570377142 * 10),
    Problem("Rosenbrock 5-D", rosenbrock5),
    Problem("Ackley 10-D", ackley10),
    Problem("Mixed int/categorical", mixed),
    Problem("Conditional RAG space", rag_conditional),
    Problem("Noisy Hartmann6", hartmann6, optimum=-3.322368011391339, noisy=True),
]

MULTI_OBJECTIVE = [
    Problem("ZDT1", zdt1, reference=(1.1, 11.0)),
    Problem("ZDT2", zdt2, reference=(1.1, 11.0)),
    Problem("ZDT3", zdt3, reference=(1.1, 11.0)),
    Problem("DTLZ2 (3 obj)", dtlz2, reference=(2.5, 2.5, 2.5)),
]


def objective_for(problem: Problem, seed: int) -> Objective:
    """The callable to optimise (noisy problems get a seeded noise stream)."""
    return make_noisy_hartmann6(seed) if problem.noisy else problem.objective

"""Optuna users' code runs unchanged: snippets written from Optuna's documentation, run on ragtune
and (when the ``bench`` extra installs Optuna) on Optuna itself, with the same observable results.

Each snippet takes a :class:`Lib` (the names a user imports: ``optuna`` or ``ragtune``) and returns
plain data: values, states, params, intermediate values, dataframe columns. Its expected result is
written out by hand (from Optuna's documented behaviour), so the ragtune side checks real values in CI,
where Optuna is not installed; with Optuna installed, Optuna must give the same. Trials that must match
across libraries get their params from ``enqueue_trial``, ``FixedTrial`` or ``create_trial`` (the
samplers differ); sampled params are checked for range only.
Deliberate differences are listed in ``docs/optuna_differences.md``.
"""

from __future__ import annotations

import gc
import importlib
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest

import ragtune

Observed = dict[str, Any]


@dataclass(frozen=True)
class Lib:
    """What a snippet may use: the top-level module plus the few names that live elsewhere."""

    name: str
    m: ModuleType
    TrialState: Any
    StudyDirection: Any
    FloatDistribution: Any
    IntDistribution: Any
    CategoricalDistribution: Any
    FixedTrial: Any
    create_trial: Callable[..., Any]
    memory: Callable[[], Any]
    random_sampler: Callable[[int], Any]
    nop_pruner: Callable[[], Any]
    # Optuna 5's FrozenTrial.constraints is a dict; ragtune keeps the vector there (see the docs).
    frozen_constraints: Callable[[Any], dict[str, float]]


def _ragtune() -> Lib:
    rt = ragtune
    return Lib(
        "ragtune",
        rt,
        rt.TrialState,
        rt.StudyDirection,
        rt.FloatDistribution,
        rt.IntDistribution,
        rt.CategoricalDistribution,
        rt.FixedTrial,
        rt.create_trial,
        lambda: rt.storage.InMemoryStorage(),
        lambda seed: rt.samplers.RandomSampler(seed=seed),
        lambda: rt.pruners.NopPruner(),
        lambda t: t.named_constraints,
    )


def _optuna() -> Lib:
    optuna = pytest.importorskip("optuna", reason="Optuna is in the bench extra (not installed in CI)")
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    dist = importlib.import_module("optuna.distributions")
    return Lib(
        "optuna",
        optuna,
        optuna.trial.TrialState,
        optuna.study.StudyDirection,
        dist.FloatDistribution,
        dist.IntDistribution,
        dist.CategoricalDistribution,
        optuna.trial.FixedTrial,
        optuna.trial.create_trial,
        lambda: optuna.storages.InMemoryStorage(),
        lambda seed: optuna.samplers.RandomSampler(seed=seed),
        lambda: optuna.pruners.NopPruner(),
        lambda t: dict(t.constraints),
    )


def _quiet_study(lib: Lib, **kwargs: Any) -> Any:
    kwargs.setdefault("sampler", lib.random_sampler(0))
    return lib.m.create_study(**kwargs)


# -- the snippets ------------------------------------------------------------------------------


def quickstart_enqueued(lib: Lib) -> Observed:
    """Optuna's first example, with the params enqueued so both libraries evaluate the same points."""

    def objective(trial: Any) -> float:
        x = trial.suggest_float("x", -10, 10)
        return (x - 2) ** 2

    study = _quiet_study(lib)
    for x in (0.0, 2.5, -1.0, 9.0):
        study.enqueue_trial({"x": x})
    study.optimize(objective, n_trials=4)
    return {
        "values": [t.value for t in study.trials],
        "states": [t.state.name for t in study.trials],
        "best": (study.best_params, study.best_value, study.best_trial.number),
        "direction": study.direction.name,
        "columns": list(study.trials_dataframe().columns),
    }


def random_sampling_ranges(lib: Lib) -> Observed:
    """Sampled params are not comparable across libraries; their types and ranges are."""

    def objective(trial: Any) -> float:
        x = trial.suggest_float("x", 1e-5, 1e-1, log=True)
        n = trial.suggest_int("n", 1, 9, step=2)
        kind = trial.suggest_categorical("kind", ["a", "b", None])
        return x + n + (kind is None)

    study = _quiet_study(lib)
    study.optimize(objective, n_trials=12)
    ok = all(
        1e-5 <= t.params["x"] <= 1e-1
        and t.params["n"] in (1, 3, 5, 7, 9)
        and t.params["kind"] in ("a", "b", None)
        for t in study.trials
    )
    return {
        "n": len(study.trials),
        "in_range": ok,
        "types": sorted(type(t.params["n"]).__name__ for t in study.trials[:1]),
    }


def pruning_intermediate_values(lib: Lib) -> Observed:
    """The pruning tutorial's loop: report per step, prune by hand at a threshold (pruners differ)."""

    def objective(trial: Any) -> float:
        lr = trial.suggest_float("lr", 0.0, 1.0)
        score = 0.0
        for step in range(4):
            score = lr * (step + 1)
            trial.report(score, step)
            if score > 2.0:
                raise lib.m.TrialPruned()
        return score

    study = _quiet_study(lib, direction="maximize", pruner=lib.nop_pruner())
    for lr in (0.25, 0.9):
        study.enqueue_trial({"lr": lr})
    study.optimize(objective, n_trials=2)
    a, b = study.trials
    below = a.intermediate_values[2] < 1.0  # Optuna users compare the floats directly
    return {
        "states": [t.state.name for t in study.trials],
        "iv": [dict(t.intermediate_values) for t in study.trials],
        "last_step": [t.last_step for t in study.trials],
        # Optuna gives a pruned trial its last intermediate value as value; ragtune keeps None
        # (docs/optuna_differences.md), so only the completed trial's value is compared.
        "complete_value": a.value,
        "below": below,
        "b_number": b.number,
    }


def report_same_step_twice(lib: Lib) -> Observed:
    study = _quiet_study(lib)

    def objective(trial: Any) -> float:
        trial.report(1.0, 0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trial.report(2.0, 0)  # Optuna keeps the first value and warns
        return 0.0

    study.optimize(objective, n_trials=1)
    return {"iv": dict(study.trials[0].intermediate_values)}


def ask_and_tell(lib: Lib) -> Observed:
    """The ask-and-tell tutorial, with the states ``tell`` gives to odd values."""
    study = _quiet_study(lib, directions=["minimize", "maximize"])
    states = []
    t = study.ask()
    x = t.suggest_float("x", 0, 1)
    states.append(study.tell(t, [x, 2 * x]).state.name)
    t = study.ask()
    states.append(study.tell(t, [1.0]).state.name)  # wrong count: FAIL, not an exception
    t = study.ask()
    states.append(study.tell(t, [1.0, float("nan")]).state.name)  # NaN: FAIL
    t = study.ask()
    states.append(study.tell(t, state=lib.TrialState.PRUNED).state.name)
    t = study.ask()
    states.append(study.tell(t.number, [1, 2]).state.name)  # by number
    try:
        study.tell(t, [3.0, 4.0])
        again = "no error"
    except Exception as e:  # Optuna: ValueError; ragtune: UpdateFinishedTrialError (a RuntimeError)
        again = "error" if isinstance(e, ValueError | RuntimeError) else type(e).__name__
    skipped = study.tell(t, [3.0, 4.0], skip_if_finished=True)
    return {
        "states": states,
        "again": again,
        "skipped_values": list(skipped.values),
        "values": [None if v.values is None else list(v.values) for v in study.trials],
    }


def ask_fixed_distributions(lib: Lib) -> Observed:
    study = _quiet_study(lib)
    distributions = {
        "x": lib.FloatDistribution(0.0, 1.0),
        "n": lib.IntDistribution(1, 3),
        "c": lib.CategoricalDistribution(("a", "b")),
    }
    trial = study.ask(fixed_distributions=distributions)
    params = trial.params
    same_on_suggest = trial.suggest_int("n", 1, 3) == params["n"]
    study.tell(trial, params["x"])
    stored = study.trials[0].params
    return {
        "keys": sorted(params),
        "ok": 0 <= params["x"] <= 1 and params["n"] in (1, 2, 3) and params["c"] in ("a", "b"),
        "same_on_suggest": same_on_suggest,
        "stored_equal": dict(stored) == params,
    }


def enqueue_skip_if_exists(lib: Lib) -> Observed:
    study = _quiet_study(lib)
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("y", 0, 5), n_trials=1)
    ran = dict(study.trials[0].params)
    counts = []
    study.enqueue_trial(ran, skip_if_exists=True)  # same params as a trial that ran: skipped
    counts.append(len(study.trials))
    study.enqueue_trial({"x": ran["x"]}, skip_if_exists=True)  # a subset is another trial
    counts.append(len(study.trials))
    study.enqueue_trial({"x": 0.5, "y": 1}, skip_if_exists=True)
    study.enqueue_trial({"x": 0.5, "y": 1}, skip_if_exists=True)  # already waiting: skipped
    counts.append(len(study.trials))
    study.enqueue_trial({"x": 0.5, "y": 1})  # without the flag: queued again
    counts.append(len(study.trials))
    return {"counts": counts, "states": [t.state.name for t in study.trials]}


def constraints_optuna5(lib: Lib) -> Observed:
    """Optuna 5's ``Trial.set_constraint(key, value)``; infeasible trials are not best."""

    def objective(trial: Any) -> tuple[float, float]:
        x = trial.suggest_float("x", 0, 1)
        trial.set_constraint("too_big", x - 0.6)
        trial.set_constraint("budget", -1.0)
        live = trial.constraints
        assert live == {"too_big": x - 0.6, "budget": -1.0}
        return x, 1 - x

    study = _quiet_study(lib, directions=["minimize", "minimize"])
    for x in (0.1, 0.5, 0.9):
        study.enqueue_trial({"x": x})
    study.optimize(objective, n_trials=3)
    return {
        "best": sorted(t.number for t in study.best_trials),
        "constraints": [lib.frozen_constraints(t) for t in study.trials],
        "df": list(study.trials_dataframe(attrs=("number", "constraints")).columns),
    }


def metric_names_and_dataframe(lib: Lib) -> Observed:
    study = _quiet_study(lib, directions=["maximize", "minimize"])
    before = study.metric_names
    study.enqueue_trial({"x": 0.25})
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=1)
    plain = list(study.trials_dataframe().columns)
    multi_unnamed = list(study.trials_dataframe(multi_index=True).columns)
    study.set_metric_names(["acc", "cost"])
    try:
        study.set_metric_names(["only-one"])
        wrong = "no error"
    except ValueError:
        wrong = "ValueError"
    df = study.trials_dataframe()
    return {
        "before": before,
        "after": study.metric_names,
        "wrong": wrong,
        "plain": plain,
        "named": list(df.columns),
        "acc": float(df["values_acc"].iloc[0]),
        "multi_unnamed": multi_unnamed,
        "multi": list(study.trials_dataframe(multi_index=True).columns),
        "picked": list(study.trials_dataframe(attrs=("values", "number")).columns),
    }


def single_objective_named_dataframe(lib: Lib) -> Observed:
    study = _quiet_study(lib)
    study.enqueue_trial({"x": 0.5})

    def objective(trial: Any) -> float:
        x = trial.suggest_float("x", 0, 1)
        trial.set_user_attr("note", "hi")
        trial.report(x, 0)
        trial.report(x / 2, 3)
        return x

    study.optimize(objective, n_trials=1)
    attrs = ("number", "value", "intermediate_values", "state", "params", "user_attrs")
    out = {
        "default": list(study.trials_dataframe().columns),
        "attrs": list(study.trials_dataframe(attrs=attrs).columns),
        "attrs_multi": list(study.trials_dataframe(attrs=attrs, multi_index=True).columns),
        "iv_cells": study.trials_dataframe(attrs=attrs)[["intermediate_values_0", "intermediate_values_3"]]
        .iloc[0]
        .tolist(),
        "values_attr": list(study.trials_dataframe(attrs=("values",)).columns),
        "state_cell": study.trials_dataframe()["state"].iloc[0],
    }
    study.set_metric_names(["acc"])
    out["named"] = list(study.trials_dataframe().columns)
    return out


def enqueued_and_failed_dataframe(lib: Lib) -> Observed:
    study = _quiet_study(lib)
    study.enqueue_trial({"x": 0.25})

    def objective(trial: Any) -> float:
        x = trial.suggest_float("x", 0, 1)
        if trial.number == 1:
            raise RuntimeError("boom")
        return x

    study.optimize(objective, n_trials=2, catch=(RuntimeError,), gc_after_trial=True)
    df = study.trials_dataframe(attrs=("number", "value", "params", "system_attrs", "state"))
    return {
        "columns": list(df.columns),
        "fixed": df["system_attrs_fixed_params"].iloc[0],
        "states": list(df["state"]),
        "failed_value_nan": math.isnan(df["value"].iloc[1]),
    }


def create_and_add_trials(lib: Lib) -> Observed:
    t = lib.create_trial(
        params={"x": 2.0, "k": "b"},
        distributions={"x": lib.FloatDistribution(0, 10), "k": lib.CategoricalDistribution(("a", "b"))},
        value=4.0,
        intermediate_values={0: 1.0, 1: 3.0},
        user_attrs={"source": "earlier run"},
    )
    facts = {
        "number": t.number,
        "state": t.state.name,
        "values": list(t.values),
        "iv": dict(t.intermediate_values),
        "started": t.datetime_start is not None,
        "ended": t.datetime_complete is not None,
    }
    study = _quiet_study(lib)
    study.add_trial(t)
    study.add_trials(
        [
            lib.create_trial(params={"x": 1.0}, distributions={"x": lib.FloatDistribution(0, 10)}, value=1.0),
            lib.create_trial(state=lib.TrialState.WAITING),
        ]
    )
    errors = []
    for bad in (
        dict(params={"x": 20.0}, distributions={"x": lib.FloatDistribution(0, 10)}, value=1.0),
        dict(params={}, distributions={}, value=None),
    ):
        try:
            study.add_trial(lib.create_trial(**bad))
            errors.append("no error")
        except ValueError:
            errors.append("ValueError")
    waiting = lib.create_trial(state=lib.TrialState.WAITING)
    facts.update(
        numbers=[t.number for t in study.trials],
        states=[t.state.name for t in study.trials],
        params=[dict(t.params) for t in study.trials],
        added_iv=dict(study.trials[0].intermediate_values),
        added_user_attrs=dict(study.trials[0].user_attrs),
        errors=errors,
        waiting_start=waiting.datetime_start,
        best=study.best_trial.number,
    )
    return facts


def fixed_trial_replays(lib: Lib) -> Observed:
    def objective(trial: Any) -> float:
        x = trial.suggest_float("x", -10, 10)
        n = trial.suggest_int("n", 1, 5)
        trial.report(x, 0)
        return (x - 2) ** 2 + n

    study = _quiet_study(lib)
    study.optimize(objective, n_trials=3)
    replayed = objective(lib.FixedTrial(study.best_params))
    return {
        "replayed_is_best": replayed == study.best_value,
        "fixed": objective(lib.FixedTrial({"x": 4.0, "n": 2})),
    }


def frozen_trial_replays_and_deep_copies(lib: Lib) -> Observed:
    """The two examples of Optuna's FrozenTrial docstring (re-evaluate the best trial; deep copy)."""
    import copy

    def objective(trial: Any) -> float:
        x = trial.suggest_float("x", -1, 1)
        return x**2

    study = _quiet_study(lib)
    study.optimize(objective, n_trials=3)
    best = study.best_trial
    twin = copy.deepcopy(best)
    return {
        "replayed": objective(best) == study.best_value,
        "copy_equal": (twin.number, dict(twin.params), twin.values)
        == (best.number, dict(best.params), best.values),
    }


def study_names_and_copy(lib: Lib) -> Observed:
    src, dst = lib.memory(), lib.memory()
    a = lib.m.create_study(
        storage=src, study_name="a", directions=["minimize", "maximize"], sampler=lib.random_sampler(1)
    )
    lib.m.create_study(storage=src, study_name="b")
    a.set_user_attr("owner", "me")
    a.enqueue_trial({"x": 0.5})
    a.optimize(lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=2)
    a.enqueue_trial({"x": 0.75})
    lib.m.copy_study(from_study_name="a", from_storage=src, to_storage=dst, to_study_name="a-copy")
    copy = lib.m.load_study(study_name="a-copy", storage=dst)
    return {
        "src": lib.m.get_all_study_names(src),
        "dst": lib.m.get_all_study_names(dst),
        "directions": [d.name for d in copy.directions],
        "user_attrs": copy.user_attrs,
        "trials": [
            (t.number, t.state.name, dict(t.params), None if t.values is None else list(t.values))
            for t in copy.trials
        ][:1],
        "n": len(copy.trials),
        "states": [t.state.name for t in copy.trials],
        "same": [dict(t.params) for t in copy.trials] == [dict(t.params) for t in a.trials],
    }


def optimize_options(lib: Lib) -> Observed:
    seen: list[int] = []

    def callback(study: Any, trial: Any) -> None:
        seen.append(trial.number)
        if len(seen) == 3:
            study.stop()

    study = _quiet_study(lib)
    collected = gc.get_count()  # gc_after_trial only has to run without changing results
    study.optimize(
        lambda t: t.suggest_float("x", 0, 1), n_trials=10, callbacks=[callback], gc_after_trial=True
    )
    failing = _quiet_study(lib)
    failing.optimize(lambda t: 1 / 0, n_trials=2, catch=(ZeroDivisionError,))
    return {
        "seen": seen,
        "n": len(study.trials),
        "fail": [t.state.name for t in failing.trials],
        "gc": isinstance(collected, tuple),
    }


def enum_printing(lib: Lib) -> Observed:
    return {
        "str": str(lib.TrialState.COMPLETE),
        "format": f"{lib.TrialState.PRUNED}",
        "repr": repr(lib.TrialState.WAITING),
        "values": [int(s) for s in (lib.TrialState.RUNNING, lib.TrialState.COMPLETE, lib.TrialState.FAIL)],
        "finished": [s.is_finished() for s in (lib.TrialState.RUNNING, lib.TrialState.PRUNED)],
        "dir_str": str(lib.StudyDirection.MAXIMIZE),
        "dir_repr": repr(lib.StudyDirection.MINIMIZE),
        "dir_values": (lib.StudyDirection.MINIMIZE == 1, lib.StudyDirection.MAXIMIZE == 2),
        "study_dir": _quiet_study(lib, direction="maximize").direction.name,
    }


# -- expected results, written from Optuna's documented behaviour ------------------------------

_T = ("datetime_start", "datetime_complete", "duration")

EXPECTED: dict[Callable[[Lib], Observed], Observed] = {
    quickstart_enqueued: {
        "values": [4.0, 0.25, 9.0, 49.0],
        "states": ["COMPLETE"] * 4,
        "best": ({"x": 2.5}, 0.25, 1),
        "direction": "MINIMIZE",
        "columns": ["number", "value", *_T, "params_x", "system_attrs_fixed_params", "state"],
    },
    random_sampling_ranges: {"n": 12, "in_range": True, "types": ["int"]},
    pruning_intermediate_values: {
        "states": ["COMPLETE", "PRUNED"],
        "iv": [{0: 0.25, 1: 0.5, 2: 0.75, 3: 1.0}, {0: 0.9, 1: 1.8, 2: 2.7}],
        "last_step": [3, 2],
        "complete_value": 1.0,
        "below": True,
        "b_number": 1,
    },
    report_same_step_twice: {"iv": {0: 1.0}},
    ask_and_tell: {
        "states": ["COMPLETE", "FAIL", "FAIL", "PRUNED", "COMPLETE"],
        "again": "error",
        "skipped_values": [1.0, 2.0],
        "values": None,  # checked below (the first trial's x is sampled)
    },
    ask_fixed_distributions: {
        "keys": ["c", "n", "x"],
        "ok": True,
        "same_on_suggest": True,
        "stored_equal": True,
    },
    enqueue_skip_if_exists: {"counts": [1, 2, 3, 4], "states": ["COMPLETE", "WAITING", "WAITING", "WAITING"]},
    constraints_optuna5: {
        "best": [0, 1],
        "constraints": [
            {"too_big": pytest.approx(-0.5), "budget": -1.0},
            {"too_big": pytest.approx(-0.1), "budget": -1.0},
            {"too_big": pytest.approx(0.3), "budget": -1.0},
        ],
        "df": ["number", "constraints_budget", "constraints_too_big"],
    },
    metric_names_and_dataframe: {
        "before": None,
        "after": ["acc", "cost"],
        "wrong": "ValueError",
        "plain": ["number", "values_0", "values_1", *_T, "params_x", "system_attrs_fixed_params", "state"],
        "named": [
            "number",
            "values_acc",
            "values_cost",
            *_T,
            "params_x",
            "system_attrs_fixed_params",
            "state",
        ],
        "acc": 0.25,
        "multi_unnamed": [
            ("number", ""),
            ("values", 0),
            ("values", 1),
            *[(c, "") for c in _T],
            ("params", "x"),
            ("system_attrs", "fixed_params"),
            ("state", ""),
        ],
        "multi": [
            ("number", ""),
            ("values", "acc"),
            ("values", "cost"),
            *[(c, "") for c in _T],
            ("params", "x"),
            ("system_attrs", "fixed_params"),
            ("state", ""),
        ],
        "picked": ["values_acc", "values_cost", "number"],
    },
    single_objective_named_dataframe: {
        "default": [
            "number",
            "value",
            *_T,
            "params_x",
            "user_attrs_note",
            "system_attrs_fixed_params",
            "state",
        ],
        "attrs": [
            "number",
            "value",
            "intermediate_values_0",
            "intermediate_values_3",
            "state",
            "params_x",
            "user_attrs_note",
        ],
        "attrs_multi": [
            ("number", ""),
            ("value", ""),
            ("intermediate_values", 0),
            ("intermediate_values", 3),
            ("state", ""),
            ("params", "x"),
            ("user_attrs", "note"),
        ],
        "iv_cells": [0.5, 0.25],
        "values_attr": ["values_0"],
        "state_cell": "COMPLETE",
        "named": [
            "number",
            "value_acc",
            *_T,
            "params_x",
            "user_attrs_note",
            "system_attrs_fixed_params",
            "state",
        ],
    },
    enqueued_and_failed_dataframe: {
        "columns": ["number", "value", "params_x", "system_attrs_fixed_params", "state"],
        "fixed": {"x": 0.25},
        "states": ["COMPLETE", "FAIL"],
        "failed_value_nan": True,
    },
    create_and_add_trials: {
        "number": -1,
        "state": "COMPLETE",
        "values": [4.0],
        "iv": {0: 1.0, 1: 3.0},
        "started": True,
        "ended": True,
        "numbers": [0, 1, 2],
        "states": ["COMPLETE", "COMPLETE", "WAITING"],
        "params": [{"x": 2.0, "k": "b"}, {"x": 1.0}, {}],
        "added_iv": {0: 1.0, 1: 3.0},
        "added_user_attrs": {"source": "earlier run"},
        "errors": ["ValueError", "ValueError"],
        "waiting_start": None,
        "best": 1,
    },
    fixed_trial_replays: {"replayed_is_best": True, "fixed": 6.0},
    frozen_trial_replays_and_deep_copies: {"replayed": True, "copy_equal": True},
    study_names_and_copy: {
        "src": ["a", "b"],
        "dst": ["a-copy"],
        "directions": ["MINIMIZE", "MAXIMIZE"],
        "user_attrs": {"owner": "me"},
        "trials": [(0, "COMPLETE", {"x": 0.5}, [0.5, 1.0])],
        "n": 3,
        "states": ["COMPLETE", "COMPLETE", "WAITING"],
        "same": True,
    },
    optimize_options: {"seen": [0, 1, 2], "n": 3, "fail": ["FAIL", "FAIL"], "gc": True},
    enum_printing: {
        "str": "TrialState.COMPLETE",
        "format": "TrialState.PRUNED",
        "repr": "<TrialState.WAITING: 4>",
        "values": [0, 1, 3],
        "finished": [False, True],
        "dir_str": "2",
        "dir_repr": "<StudyDirection.MINIMIZE: 1>",
        "dir_values": (True, True),
        "study_dir": "MAXIMIZE",
    },
}

SNIPPETS = list(EXPECTED)


def _check(observed: Observed, expected: Observed) -> None:
    for key, want in expected.items():
        if want is None and key == "values":
            continue
        assert observed[key] == want, key


def _check_ask_and_tell_values(observed: Observed) -> None:
    if "values" in observed and observed["states"][0] == "COMPLETE":
        first = observed["values"][0]
        assert first is not None and first[1] == pytest.approx(2 * first[0])
        assert observed["values"][1:] == [None, None, None, [1.0, 2.0]]


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda f: f.__name__)
def test_snippet_on_ragtune(snippet: Callable[[Lib], Observed]) -> None:
    observed = snippet(_ragtune())
    _check(observed, EXPECTED[snippet])
    if snippet is ask_and_tell:
        _check_ask_and_tell_values(observed)


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda f: f.__name__)
def test_snippet_on_optuna_gives_the_same(snippet: Callable[[Lib], Observed]) -> None:
    lib = _optuna()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Optuna's ExperimentalWarning for a few of these APIs
        observed = snippet(lib)
    _check(observed, EXPECTED[snippet])
    if snippet is ask_and_tell:
        _check_ask_and_tell_values(observed)
    assert observed.keys() == snippet(_ragtune()).keys()


def test_pipeline_typed_with_trial_accepts_a_fixed_trial() -> None:
    """``def pipeline(trial: rt.Trial)`` type-checks with a FixedTrial: it is a Trial (and a BaseTrial)."""
    assert issubclass(ragtune.FixedTrial, ragtune.Trial) and issubclass(ragtune.Trial, ragtune.BaseTrial)

    def pipeline(trial: ragtune.Trial) -> int:
        return trial.suggest_int("k", 1, 10)

    assert pipeline(ragtune.FixedTrial({"k": 3})) == 3
    with pytest.raises(ragtune.exceptions.ValidationError, match="FixedTrial belongs to no study"):
        ragtune.create_study().tell(ragtune.FixedTrial({}), 1.0)

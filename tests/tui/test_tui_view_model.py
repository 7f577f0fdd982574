"""The pure view model, on a study small enough to work out by hand (see the comments)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ragtune.core.directions import StudyDirection
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trial_state import TrialState
from ragtune.exceptions import ConfigError
from ragtune.tui.scatter_geometry import DOTS, FRONT, INFEASIBLE
from ragtune.tui.table_model import table_columns, table_rows
from ragtune.tui.trial_details import trial_details
from ragtune.tui.view_model import (
    NUMBER,
    Filter,
    StudyModel,
    build_view,
    default_state,
    format_number,
    parse_filters,
    plot_points,
    status_line,
    summarise_params,
)

MAX, MIN = StudyDirection.MAXIMIZE, StudyDirection.MINIMIZE


def _t(number: int, a: float | None, b: float | None, **kw: object) -> FrozenTrial:
    state = kw.pop("state", TrialState.COMPLETE)
    values = (a, b) if a is not None and b is not None else None
    return FrozenTrial(number=number, state=state, values=values, params={"k": number}, **kw)  # type: ignore[arg-type]


# Objectives: a (maximise), b (minimise).
#   #0 (0.9, 50)  #1 (0.8, 20)  #2 (0.5, 10)  #3 (0.7, 30) dominated by #1  #4 (0.3, 5)
#   #5 PRUNED     #6 (0.95, 90) violates its stored constraint
# Feasible front: #0 #1 #2 #4. Normalised losses (ideal..nadir): #0 (0, 1), #1 (1/6, 1/3),
# #2 (2/3, 1/9), #4 (1, 0); sums 1, 0.5, 0.78, 1 -> the knee is #1 (distance 0.5/sqrt 2).
TRIALS = [
    _t(0, 0.9, 50),
    _t(1, 0.8, 20),
    _t(2, 0.5, 10),
    _t(3, 0.7, 30),
    _t(4, 0.3, 5),
    _t(5, None, None, state=TrialState.PRUNED, intermediate_values={3: (0.2, 9.0)}),
    _t(6, 0.95, 90, constraints=(1.0,)),
]


@pytest.fixture
def model() -> StudyModel:
    return StudyModel(
        "hand",
        [MAX, MIN],
        list(reversed(TRIALS)),
        system_attrs={
            "ragtune:metric_names": ["a", "b"],
            "ragtune:choice": {"trial": 2, "chosen_at": "2025-01-01T00:00:00+00:00"},
        },
    )


def _numbers(model: StudyModel, rows: np.ndarray) -> list[int]:
    return [int(model.numbers[i]) for i in rows]


def test_model_orders_trials_and_reads_objectives(model: StudyModel) -> None:
    assert model.numbers.tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert model.objective_names == ("a", "b")
    assert model.complete.tolist() == [True, True, True, True, True, False, True]
    assert model.feasible.tolist() == [True] * 6 + [False]
    assert model.chosen == 2


def test_front_and_knee(model: StudyModel) -> None:
    view = build_view(model, default_state(model))
    assert _numbers(model, np.flatnonzero(view.front)) == [0, 1, 2, 4]
    assert view.knee == 1
    assert _numbers(model, view.order) == [0, 1, 2, 4]  # sorted by a, best (largest) first


def test_filters_change_front_and_knee(model: StudyModel) -> None:
    state = default_state(model)
    view = build_view(model, dataclasses.replace(state, filters=parse_filters("b <= 15", model.filterable)))
    assert _numbers(model, np.flatnonzero(view.passing)) == [2, 4]
    assert _numbers(model, np.flatnonzero(view.front)) == [2, 4]
    assert view.knee == 2  # two extremes tie at distance 0 and sum 1: the earlier row wins
    both = parse_filters("a >= 0.75, b < 50", model.filterable)
    view = build_view(model, dataclasses.replace(state, filters=both))
    assert _numbers(model, np.flatnonzero(view.front)) == [1]
    assert view.knee == 1


def test_sorting(model: StudyModel) -> None:
    base = default_state(model)
    order = lambda **kw: _numbers(model, build_view(model, dataclasses.replace(base, **kw)).order)  # noqa: E731
    assert order(sort_key="b") == [4, 2, 1, 0]  # minimised: smallest first
    assert order(sort_key="b", reverse=True) == [0, 1, 2, 4]
    assert order(sort_key=NUMBER) == [0, 1, 2, 4]
    # All trials: the infeasible one sorts by its value, trials without values go last.
    assert order(show_all=True) == [6, 0, 1, 3, 2, 4, 5]
    assert order(show_all=True, reverse=True) == [4, 2, 3, 1, 0, 6, 5]


def test_rows_and_columns(model: StudyModel) -> None:
    state = dataclasses.replace(default_state(model), show_all=True, sort_key=NUMBER)
    view = build_view(model, state)
    cols = table_columns(model, state)
    assert [c.label for c in cols] == [" ", "# ▼", "a ↑", "b ↓", "state", "params"]
    rows = dict(table_rows(model, view, state))
    assert rows[1] == [" ◆", "1", "0.8", "20", "complete", "k=1"]
    assert rows[2][0] == "★●"
    assert rows[3][0] == "  "  # dominated
    assert rows[5] == ["  ", "5", "—", "—", "pruned", "k=5"]
    assert rows[6][0] == " ×"
    assert "knee #1" in status_line(model, view, state) and "chosen #2" in status_line(model, view, state)


def test_parse_filters() -> None:
    known = ("ndcg@10", "latency_p95_ms", "recall@10")
    assert parse_filters("latency_p95_ms <= 80, ndcg@10>=0.5", known) == (
        Filter("latency_p95_ms", "<=", 80.0),
        Filter("ndcg@10", ">=", 0.5),
    )
    assert parse_filters("NDCG@10 ≥ 0.5 and recall@10 > .6", known) == (
        Filter("ndcg@10", ">=", 0.5),
        Filter("recall@10", ">", 0.6),
    )
    assert parse_filters("  ", known) == ()
    with pytest.raises(ConfigError, match="did you mean 'latency_p95_ms'"):
        parse_filters("latency_p95 <= 80", known)
    with pytest.raises(ConfigError, match="malformed"):
        parse_filters("latency_p95_ms = 80", known)
    with pytest.raises(ConfigError, match="finite number"):
        parse_filters("latency_p95_ms <= fast", known)
    with pytest.raises(ConfigError, match="no metric 'values_9'"):
        parse_filters("values_9 <= 1", ("values_0", "values_1"))


def test_filter_masks_are_strict_where_asked() -> None:
    values = np.array([1.0, 2.0, np.nan])
    assert Filter("m", "<=", 2).mask(values).tolist() == [True, True, False]
    assert Filter("m", "<", 2).mask(values).tolist() == [True, False, False]
    assert Filter("m", ">", 1).mask(values).tolist() == [False, True, False]


def test_plain_study_names_and_metrics_columns() -> None:
    trials = [
        FrozenTrial(
            number=0, state=TrialState.COMPLETE, values=(1.0,), system_attrs={"ragtune:metrics": {"cost": 3}}
        ),
        FrozenTrial(
            number=1, state=TrialState.COMPLETE, values=(2.0,), system_attrs={"ragtune:metrics": {"cost": 1}}
        ),
    ]
    model = StudyModel("p", [MIN], trials)
    assert model.objective_names == ("values_0",)
    assert model.filterable == ("values_0", "cost")
    state = default_state(model)
    assert (state.x_axis, state.y_axis) == (NUMBER, "values_0")
    view = build_view(model, dataclasses.replace(state, filters=parse_filters("cost <= 2", model.filterable)))
    assert view.knee == 1


def test_plot_points_kinds(model: StudyModel) -> None:
    state = default_state(model)
    view = build_view(model, state)
    points = plot_points(model, view, state, selected=3)
    assert points.numbers.tolist() == [0, 1, 2, 3, 4, 6]  # the pruned trial has no point
    assert points.kinds.tolist() == [FRONT, FRONT, FRONT, DOTS, FRONT, INFEASIBLE]
    assert (points.x_label, points.y_label) == ("a ↑ (max)", "b ↓ (min)")
    assert (points.knee, points.selected) == (1, 3)


def test_formatting() -> None:
    assert [format_number(v) for v in (0.612345, 123.45, 512.0, 1.2e-5, float("nan"), None)] == [
        "0.6123",
        "123.5",
        "512",
        "1.2e-5",
        "—",
        "—",
    ]
    params = {"chunk_size": 512, "retriever": "hybrid", "lr": 0.000123456}
    assert summarise_params(params) == "chunk_size=512 retriever=hybrid lr=0.0001235"
    assert summarise_params(params, max_len=20) == "chunk_size=512 retr…"


def test_trial_details_sections(model: StudyModel) -> None:
    view = build_view(model, default_state(model))
    sections = {s.title: dict(s.lines) for s in trial_details(model, view, 5)}
    assert sections["Trial #5"]["state"] == "PRUNED"
    assert sections["Rungs (intermediate values)"] == {"step": "  a  b", "3": "0.2  9"}
    assert dict(trial_details(model, view, 6)[0].lines)["position"] == "infeasible"
    assert dict(trial_details(model, view, 1)[0].lines)["position"] == "knee point"
    assert trial_details(model, view, 99)[0].title == "No trial selected"


def test_zoom_keeps_the_region_of_passing_trials(model: StudyModel) -> None:
    # b <= 15 lets #2 (0.5, 10) and #4 (0.3, 5) pass: the zoomed plot spans a in [0.3, 0.5], b in [5, 10].
    state = dataclasses.replace(default_state(model), filters=parse_filters("b <= 15", model.filterable))
    view = build_view(model, state)
    assert plot_points(model, view, state, selected=None).numbers.tolist() == [0, 1, 2, 3, 4, 6]
    zoomed = plot_points(model, view, dataclasses.replace(state, zoom=True), selected=None)
    assert zoomed.numbers.tolist() == [2, 4]
    assert "zoomed" in zoomed.y_label


def test_named_constraints_in_details() -> None:
    trials = [
        FrozenTrial(number=0, state=TrialState.COMPLETE, values=(1.0,), constraints=(-20.0,)),
        FrozenTrial(number=1, state=TrialState.COMPLETE, values=(0.5,), constraints=(3.5,)),
    ]
    model = StudyModel(
        "c",
        [MIN],
        trials,
        system_attrs={
            "ragtune:metric_names": ["latency_p95_ms"],
            "ragtune:constraints": ["latency_p95_ms <= 200"],
        },
    )
    view = build_view(model, default_state(model))
    assert dict(trial_details(model, view, 0)[0].lines)["latency_p95_ms <= 200"] == "ok (margin 20)"
    assert dict(trial_details(model, view, 1)[0].lines)["latency_p95_ms <= 200"] == "violated by 3.5"
    assert dict(trial_details(model, view, 1)[0].lines)["position"] == "infeasible"

"""The plot functions: valid SVG with the right marks for the study's trials; svg helpers; per-question data."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from report_data import make_question_study

import ragtune as rt
from ragtune.choice import record_choice
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.trial_state import TrialState
from ragtune.exceptions import ValidationError
from ragtune.storage import InMemoryStorage
from ragtune.visualization import (
    Figure,
    StudyData,
    plot_history,
    plot_parallel_coordinate,
    plot_param_importances,
    plot_pareto_front,
    plot_slice,
)
from ragtune.visualization.questions import question_diff, question_results, worst_questions
from ragtune.visualization.study_data import running_best
from ragtune.visualization.svg import nice_ticks

NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def study() -> rt.Study:
    return make_question_study(InMemoryStorage())


def circles(fig: Figure, cls: str) -> int:
    root = ET.fromstring(fig.svg)
    return sum(len(g.findall(f"{NS}circle")) for g in root.iter(f"{NS}g") if g.get("class") == cls)


def test_every_plot_is_valid_svg_and_shows_in_notebooks(study):
    figs = [plot_history(study), plot_pareto_front(study), plot_param_importances(study)]
    figs += [plot_slice(study), plot_parallel_coordinate(study, objective="latency_p95_ms")]
    for fig in figs:
        root = ET.fromstring(fig.svg)
        assert root.tag == f"{NS}svg"
        assert fig._repr_svg_() == fig.svg and fig.svg in fig._repr_html_()
        assert float(root.get("width", 0)) == fig.width


def test_history_shows_complete_and_pruned_trials(study):
    trials = study.get_trials()
    n_complete = sum(t.state is TrialState.COMPLETE for t in trials)
    n_pruned = sum(t.state is TrialState.PRUNED for t in trials)
    fig = plot_history(study)
    assert circles(fig, "d") == 2 * n_complete  # one panel per objective
    assert circles(fig, "p") == 2 * n_pruned
    assert fig.svg.count('class="b"') == 2  # a running-best line per objective


def test_running_best_follows_the_direction():
    assert running_best(np.array([3.0, np.nan, 1.0, 2.0])).tolist() == [3.0, 3.0, 1.0, 1.0]


def test_pareto_front_marks_the_front_and_the_choice(study, tmp_path):
    fig = plot_pareto_front(study)
    assert circles(fig, "f") == len(study.best_trials)
    assert circles(fig, "c") == 0
    record_choice(study, study.best_trials[0].number, path=tmp_path / "c.json")
    fig = plot_pareto_front(study)
    assert circles(fig, "c") == 1 and f"chosen #{study.best_trials[0].number}" in fig.svg


def test_three_objectives_give_a_scatter_matrix():
    study = rt.create_study(directions=["minimize"] * 3)
    for i in range(8):
        study.add_trial(FrozenTrial(number=-1, state=TrialState.COMPLETE, values=(i, 8 - i, (i * 3) % 5)))
    fig = plot_pareto_front(study)
    assert circles(fig, "f") + circles(fig, "d") == 3 * 8  # three pairs: (0,1), (0,2), (1,2)


def test_pareto_front_needs_two_objectives():
    study = rt.create_study()
    study.add_trial(FrozenTrial(number=-1, state=TrialState.COMPLETE, values=(1.0,)))
    with pytest.raises(ValidationError, match="at least 2 objectives"):
        plot_pareto_front(study)


def test_importance_bars_per_objective_and_slices(study):
    fig = plot_param_importances(study)
    assert fig.svg.count("<rect") >= 2 * 4  # 4 params x 2 objectives (+ legend swatches)
    assert "retriever · ndcg@10" in fig.svg
    assert plot_slice(study, params=["retriever"]).svg.count("<circle") == sum(
        t.state is TrialState.COMPLETE for t in study.get_trials()
    )


def test_parallel_coordinates_draws_each_trial_and_skips_missing_branches(study):
    data = StudyData.from_study(study)
    fig = plot_parallel_coordinate(data, params=["retriever", "top_k", "overlap", "chunk_size"])
    n_complete = int(data.complete.sum())
    with_overlap = sum(1 for t in data.trials if t.state is TrialState.COMPLETE and "overlap" in t.params)
    # A trial without "overlap" is split into two lines (before and after the missing axis).
    assert fig.svg.count("<polyline") == n_complete + (n_complete - with_overlap)
    sampled = plot_parallel_coordinate(data, max_lines=10)
    assert "10 of" in sampled.svg


def test_nice_ticks_are_round():
    assert nice_ticks(0.0, 1.0, 5) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(13.0, 87.0, 4) == [20.0, 40.0, 60.0, 80.0]
    assert nice_ticks(5.0, 5.0) == [5.0]


def test_question_results_hits_missed_worst_and_diff():
    gold = {"a": {"text": "A?", "relevant": ["d1", "d2"], "answers": ["x"]}, "b": {"relevant": ["d9"]}}
    trial = FrozenTrial(
        number=0,
        state=TrialState.COMPLETE,
        system_attrs={
            "ragtune:per_question": {
                "question_ids": ["a", "b"],
                "latency_s": [0.1, 0.2],
                "retrieved": [["d2", "d5"], ["d1"]],
                "answers": ["x", None],
                "scores": {"ndcg@10": [0.9, 0.0]},
            }
        },
    )
    a, b = question_results(trial, gold)
    assert (a.hits, a.missed, a.text, a.gold) == (("d2",), ("d1",), "A?", ("x",))
    assert (b.hits, b.missed, b.answer) == ((), ("d9",), None)
    assert [q.question_id for q in worst_questions([a, b], "ndcg@10")] == ["b", "a"]
    other = FrozenTrial(
        number=1,
        state=TrialState.COMPLETE,
        system_attrs={"ragtune:per_question": {"question_ids": ["a"], "scores": {"ndcg@10": [0.4]}}},
    )
    diff = question_diff([a, b], question_results(other, gold), "ndcg@10")
    assert [d.question_id for d in diff] == ["a", "b"]
    assert diff[0].delta == pytest.approx(-0.5) and math.isnan(diff[1].delta)

"""One function names a study's objectives; the CLI, the TUI and the plots all use it."""

from __future__ import annotations

import ragtune as rt
from ragtune.choice import objective_names as choice_names
from ragtune.core.directions import StudyDirection
from ragtune.core.objective_names import objective_names, study_objective_names
from ragtune.importance import study_objective_names as importance_names

MAX, MIN = StudyDirection.MAXIMIZE, StudyDirection.MINIMIZE


def test_direction_suffixes_are_dropped_other_colons_kept():
    attrs = {"ragtune:metric_names": ["ndcg@10:max", "latency_p95_ms:MIN", "judge:faithfulness"]}
    assert objective_names([MAX, MIN, MAX], attrs) == ("ndcg@10", "latency_p95_ms", "judge:faithfulness")


def test_unusable_stored_names_fall_back_to_values_i():
    assert objective_names([MAX, MIN], {"ragtune:metric_names": ["a"]}) == ("values_0", "values_1")
    assert objective_names([MAX, MIN], {"ragtune:metric_names": ["a:max", "a:min"]}) == (
        "values_0",
        "values_1",
    )
    assert objective_names([MAX], {"ragtune:metric_names": [""]}) == ("values_0",)
    assert objective_names([MAX], {}) == ("values_0",)


def test_every_caller_gets_the_same_names():
    study = rt.create_study(directions=["maximize", "minimize"])
    study.set_metric_names(["ndcg@10:max", "latency_p95_ms"])
    expected = ("ndcg@10", "latency_p95_ms")
    assert study_objective_names(study) == expected
    assert importance_names is study_objective_names and choice_names is objective_names
    assert choice_names(study.directions, study.system_attrs) == expected


def test_a_user_attr_named_objectives_is_the_users():
    study = rt.create_study(directions=["maximize", "minimize"])
    study.set_user_attr("objectives", ["a", "b"])  # how schema 1 named objectives; now just a user attr
    assert study_objective_names(study) == ("values_0", "values_1")

"""record_choice writes a replayable config and records it in the study; load_config checks it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import ragtune as rt
from ragtune.choice import CHOICE_ATTR, default_choice_path, load_config, objective_names, record_choice
from ragtune.core.directions import StudyDirection
from ragtune.exceptions import ConfigError


def _study() -> rt.Study:
    study = rt.create_study(storage="memory", study_name="rag/demo 1", directions=["maximize", "minimize"])
    study.set_metric_names(["ndcg@10", "latency_p95_ms"])

    def objective(trial: rt.Trial) -> tuple[float, float]:
        size = trial.suggest_int("chunk_size", 128, 1024, step=128)
        kind = trial.suggest_categorical("retriever", ["bm25", "dense"])
        lr = trial.suggest_float("alpha", 0.1, 0.9)
        trial.set_system_attr("ragtune:metrics", {"recall@10": 0.5})
        if size == 1024:
            raise rt.TrialPruned()
        return size / 1024 + (kind == "dense") * 0.1, lr * 100

    study.optimize(objective, n_trials=8)
    return study


def test_record_and_load_round_trip(tmp_path: Path) -> None:
    study = _study()
    done = [t for t in study.trials if t.state is rt.TrialState.COMPLETE]
    chosen = done[0]
    path = record_choice(study, chosen.number, path=tmp_path / "choice.json")
    assert path == tmp_path / "choice.json"
    doc = json.loads(path.read_text())
    assert doc["study"] == "rag/demo 1" and doc["trial"] == chosen.number
    assert doc["objectives"] == {"ndcg@10": chosen.values[0], "latency_p95_ms": chosen.values[1]}  # type: ignore[index]
    assert doc["directions"] == {"ndcg@10": "maximize", "latency_p95_ms": "minimize"}
    assert doc["metrics"] == {"recall@10": 0.5}
    params = load_config(path)
    assert params == dict(chosen.params)
    fixed = rt.FixedTrial(params)
    assert fixed.suggest_int("chunk_size", 128, 1024, step=128) == chosen.params["chunk_size"]
    assert fixed.suggest_categorical("retriever", ["bm25", "dense"]) == chosen.params["retriever"]
    stored = study.system_attrs[CHOICE_ATTR]
    assert stored["trial"] == chosen.number and stored["params"] == params
    assert stored["path"] == str(path.resolve()) and stored["chosen_at"] == doc["chosen_at"]


def test_default_path_is_safe_and_in_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert default_choice_path("rag/demo 1") == Path("ragtune-choice-rag_demo_1.json")
    assert default_choice_path("x", tmp_path) == tmp_path / "ragtune-choice-x.json"
    study = _study()
    number = next(t.number for t in study.trials if t.state is rt.TrialState.COMPLETE)
    written = record_choice(study, number)
    assert written.resolve() == tmp_path / "ragtune-choice-rag_demo_1.json"
    assert study.system_attrs[CHOICE_ATTR]["path"] == str(tmp_path / "ragtune-choice-rag_demo_1.json")
    assert written.stat().st_mode & 0o044  # readable by others as usual (umask), not 0600
    assert [p.name for p in tmp_path.iterdir()] == ["ragtune-choice-rag_demo_1.json"]  # no temp file left


def test_only_complete_trials_can_be_chosen(tmp_path: Path) -> None:
    study = _study()
    pruned = next((t for t in study.trials if t.state is rt.TrialState.PRUNED), None)
    if pruned is not None:
        with pytest.raises(ConfigError, match="only a COMPLETE trial"):
            record_choice(study, pruned.number, path=tmp_path / "c.json")
    with pytest.raises(rt.exceptions.TrialNotFound):
        record_choice(study, 999, path=tmp_path / "c.json")
    with pytest.raises(ConfigError, match="does not exist"):
        record_choice(
            study,
            0 if study.trials[0].state is rt.TrialState.COMPLETE else 1,
            path=tmp_path / "missing" / "c.json",
        )


GOOD = {"study": "s", "trial": 3, "params": {"k": 5}, "objectives": {"values_0": 0.5}}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        (
            "{not json",
            "is not valid JSON: Expecting property name enclosed in double quotes at line 1, column 2",
        ),
        ("[1, 2]", "must hold a JSON object, but got list"),
        (json.dumps({"params": {}}), "lacks 'study', 'trial', 'objectives'"),
        (json.dumps({**GOOD, "trial": -1}), "'trial' must be an integer >= 0, but got -1"),
        (json.dumps({**GOOD, "trial": True}), "'trial' must be an integer"),
        (json.dumps({**GOOD, "study": ""}), "'study' must be a non-empty string"),
        (json.dumps({**GOOD, "params": [1]}), "'params' must be an object, but got list"),
        (json.dumps({**GOOD, "params": {"k": [1]}}), "param 'k' must be a string, number, boolean or null"),
        (json.dumps({**GOOD, "objectives": {}}), "'objectives' must be a non-empty object"),
        (json.dumps({**GOOD, "objectives": {"a": "x"}}), "objective 'a' must be a finite number"),
        (json.dumps({**GOOD, "format": "other/9"}), "has format 'other/9'"),
    ],
)
def test_load_config_errors_are_one_line(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "choice.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert message in str(info.value)
    assert "\n" not in str(info.value)
    assert str(path) in str(info.value)


def test_load_config_accepts_a_minimal_file(tmp_path: Path) -> None:
    path = tmp_path / "choice.json"
    path.write_text(json.dumps(GOOD))
    assert load_config(path) == {"k": 5}
    assert load_config(str(path)) == {"k": 5}
    with pytest.raises(ConfigError, match="is a directory"):
        load_config(tmp_path)


def test_objective_names() -> None:
    two = (StudyDirection.MAXIMIZE, StudyDirection.MINIMIZE)
    assert objective_names(two, {}) == ("values_0", "values_1")
    key = "ragtune:metric_names"
    assert objective_names(two, {key: ["ndcg@10:max", "latency_p95_ms:min"]}) == ("ndcg@10", "latency_p95_ms")
    assert objective_names(two, {key: ["only-one"]}) == ("values_0", "values_1")
    assert objective_names(two, {key: ["a", "a"]}) == ("values_0", "values_1")
    assert objective_names(two, {"objectives": ["a", "b"]}) == ("values_0", "values_1")  # a user attr name

"""Options and small pieces shared by the CLI commands."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from ragtune.core.frozen_trial import FrozenTrial
    from ragtune.core.study import Study
    from ragtune.storage.base import Storage

DEFAULT_STORAGE = "duckdb:///ragtune.duckdb"

StorageOpt = Annotated[
    str,
    typer.Option(
        "--storage",
        "-s",
        help="Storage URL: duckdb:///file.duckdb (default ./ragtune.duckdb), postgresql+psycopg://..., or memory.",
        envvar="RAGTUNE_STORAGE",
        show_envvar=True,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of tables.")]


def open_storage(url: str) -> Storage:
    from ragtune.storage import get_storage

    return get_storage(url)


def open_study(study_name: str, storage_url: str) -> Study:
    import ragtune as rt
    from ragtune.samplers import RandomSampler

    # Reading a study needs no model-based sampler.
    return rt.load_study(study_name=study_name, storage=open_storage(storage_url), sampler=RandomSampler())


def objective_names(study: Study) -> list[str]:
    """The study's metric names (``set_metric_names``; the Tuner sets them), else ``values_0``..."""
    from ragtune.core.metric_names import objective_labels

    return list(objective_labels(study.directions, study.system_attrs))


WithPerQuestionOpt = Annotated[
    bool,
    typer.Option(
        "--with-per-question",
        help="Include each trial's per-question scores (question ids, latencies, a score per metric).",
    ),
]


def trial_record(
    trial: FrozenTrial, names: Sequence[str], *, with_per_question: bool = False
) -> dict[str, Any]:
    """A JSON-able description of one trial: its values, params, user attrs and, for a RAG trial,
    the metrics, pipeline config and index facts ragtune recorded (per-question scores when asked)."""
    from ragtune.objectives.results import trial_results

    values = dict(zip(names, trial.values, strict=True)) if trial.values is not None else None
    results = trial_results(trial)
    rag: dict[str, Any] = {}
    if results:
        rag = {
            "metrics": _jsonable(dict(results.metrics)),
            "questions_evaluated": results.questions_evaluated,
            "index": _jsonable(dict(results.index)),
            "pipeline": _jsonable(results.pipeline),
        }
        if with_per_question:
            rag["per_question"] = _jsonable(results.per_question_json())
    return {
        "number": trial.number,
        "state": trial.state.name,
        "values": values,
        "params": dict(trial.params),
        "constraints": list(trial.constraints) if trial.constraints is not None else None,
        "feasible": trial.feasible,
        "user_attrs": _jsonable(dict(trial.user_attrs)),
        "datetime_start": trial.datetime_start.isoformat() if trial.datetime_start else None,
        "datetime_complete": trial.datetime_complete.isoformat() if trial.datetime_complete else None,
        "fail_reason": trial.fail_reason,
        **rag,
    }


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def fmt(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return f"{value:.4g}"
    return str(value)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))

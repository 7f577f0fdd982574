"""Options and small pieces shared by the CLI commands."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ragtune.core.json_values import jsonable

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
        metavar="URL",
        help="Storage URL: duckdb:///file.duckdb (default ./ragtune.duckdb), postgresql+psycopg://..., or memory.",
        envvar="RAGTUNE_STORAGE",
        show_envvar=True,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of tables.")]


def duckdb_path(url: str) -> Path | None:
    """The file of a ``duckdb:///path`` URL, absolute (``None`` for other URLs and in-memory DuckDB)."""
    if not url.lower().startswith("duckdb:///"):
        return None
    target = url[len("duckdb:///") :].split("?", 1)[0]
    return None if target in ("", ":memory:") else Path(os.path.realpath(os.path.expanduser(target)))


def require_file(url: str) -> None:
    """A DuckDB file that does not exist is an error naming the path, never a new empty database."""
    from ragtune.exceptions import StorageURLError

    path = duckdb_path(url)
    if path is not None and not path.is_file():
        hint = (
            "run `ragtune optimize PIPELINE.py` in this folder first, or pass --storage duckdb:///path/to/file.duckdb"
            if url == DEFAULT_STORAGE
            else "check the path in --storage"
        )
        raise StorageURLError(f"no DuckDB file at {path}; {hint}")


def open_storage(url: str) -> Storage:
    """Open a storage to change it (an existing DuckDB file only: this never creates one)."""
    from ragtune.storage import get_storage

    require_file(url)
    return get_storage(url)


def open_for_reading(url: str) -> Storage:
    """Open a storage for a read-only command: a DuckDB file through a :class:`DuckDBView` (never
    created or changed; readable while ``ragtune optimize`` holds it), anything else as is."""
    from ragtune.storage import get_storage
    from ragtune.storage.sql.duckdb_watch import DuckDBView

    require_file(url)
    path = duckdb_path(url)
    return DuckDBView(path) if path is not None else get_storage(url)


def open_study(study_name: str, storage_url: str) -> Study:
    """Load a study for reading; a missing study is one line naming where ragtune looked."""
    import ragtune as rt
    from ragtune.samplers import RandomSampler

    storage = open_for_reading(storage_url)
    require_study(storage, study_name)
    # Reading a study needs no model-based sampler.
    return rt.load_study(study_name=study_name, storage=storage, sampler=RandomSampler())


def require_study(storage: Storage, study_name: str) -> None:
    """StudyNotFound naming the storage it looked in (and closing it) when there is no such study."""
    from ragtune.exceptions import StudyNotFound

    try:
        storage.get_study_id_from_name(study_name)
    except StudyNotFound as e:
        where = storage.describe()
        storage.close()
        raise StudyNotFound(f"{e} (in {where})") from None


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
            "metrics": jsonable(dict(results.metrics)),
            "questions_evaluated": results.questions_evaluated,
            "index": jsonable(dict(results.index)),
            "pipeline": jsonable(results.pipeline),
        }
        if with_per_question:
            rag["per_question"] = jsonable(results.per_question_json())
    return {
        "number": trial.number,
        "state": trial.state.name,
        "values": values,
        "params": dict(trial.params),
        "constraints": list(trial.constraints) if trial.constraints is not None else None,
        "feasible": trial.feasible,
        "user_attrs": jsonable(dict(trial.user_attrs)),
        "datetime_start": trial.datetime_start.isoformat() if trial.datetime_start else None,
        "datetime_complete": trial.datetime_complete.isoformat() if trial.datetime_complete else None,
        "fail_reason": trial.fail_reason,
        **rag,
    }


def study_choice(study: Study) -> dict[str, Any] | None:
    """The trade-off chosen in the TUI (``ragtune:choice``), or ``None``."""
    choice = study.system_attrs.get("ragtune:choice") or study.user_attrs.get("ragtune:choice")
    return choice if isinstance(choice, dict) and "trial" in choice else None


def choice_line(choice: dict[str, Any]) -> str:
    """``trial 7 (ndcg@10=0.61, latency_p95_ms=3.2), chosen 2026-12-07 14:02``."""
    objectives = choice.get("objectives")
    values = ", ".join(f"{k}={fmt(v)}" for k, v in objectives.items()) if isinstance(objectives, dict) else ""
    when = str(choice.get("chosen_at") or "")[:16].replace("T", " ")
    return (
        f"trial {choice['trial']}" + (f" ({values})" if values else "") + (f", chosen {when}" if when else "")
    )


def fmt(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return f"{value:.4g}"
    return str(value)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))

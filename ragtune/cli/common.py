"""Options and small pieces shared by the CLI commands."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
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


def trial_record(trial: FrozenTrial, names: Sequence[str]) -> dict[str, Any]:
    """A JSON-able description of one trial."""
    values = dict(zip(names, trial.values, strict=True)) if trial.values is not None else None
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
    }


def fmt(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return f"{value:.4g}"
    return str(value)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))

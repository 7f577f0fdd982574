"""``ragtune export STUDY --format csv|parquet|json``."""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ragtune.cli.common import DEFAULT_STORAGE, StorageOpt, WithPerQuestionOpt, open_study
from ragtune.cli.errors import reported_errors
from ragtune.core.objective_names import study_objective_names
from ragtune.exceptions import ConfigError

if TYPE_CHECKING:
    import pandas as pd

    from ragtune.core.frozen_trial import FrozenTrial


class ExportFormat(enum.StrEnum):
    csv = "csv"
    parquet = "parquet"
    json = "json"


def export(
    study: Annotated[str, typer.Argument(help="Study name.")],
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="Output format.")] = ExportFormat.csv,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Output file [default: STUDY.FORMAT, or STUDY-pareto.FORMAT with --pareto-only].",
        ),
    ] = None,
    pareto_only: Annotated[bool, typer.Option("--pareto-only", help="Only the Pareto front.")] = False,
    with_per_question: WithPerQuestionOpt = False,
    storage: StorageOpt = DEFAULT_STORAGE,
) -> None:
    """Export a study's trials as a table: one row per trial, objective, params_*, user_attrs_* and,
    for a RAG study, metrics_*, questions_evaluated and pipeline columns."""
    from ragtune.core.dataframe import trials_to_dataframe

    with reported_errors():
        s = open_study(study, storage)
        trials = s.best_trials if pareto_only else s.trials
        df = trials_to_dataframe(trials, s.directions)
        names = list(study_objective_names(s))
        if len(names) == 1:
            df = df.rename(columns={"value": names[0]})
        else:
            df = df.rename(columns={f"values_{i}": n for i, n in enumerate(names)})
        if len(df):
            df = _with_rag_columns(df, trials, with_per_question=with_per_question)
        df["duration"] = df["duration"].map(lambda d: d.total_seconds() if d is not None else None)
        for col in df.columns:
            if df[col].dtype == object:
                df[col] = df[col].map(
                    lambda v: v if v is None or isinstance(v, (str, int, float)) else str(v)
                )
        suffix = "-pareto" if pareto_only else ""
        path = output or Path(f"{s.study_name}{suffix}.{fmt.value}")
        replaced = path.exists()
        try:
            _write(df, path, fmt)
        except (OSError, RuntimeError, _duckdb_error()) as e:
            raise ConfigError(
                f"cannot write {path}: {e}; check that the folder exists and is writable"
            ) from None
        what = "Pareto-optimal trials" if pareto_only else "trials"
        typer.echo(
            f"wrote {len(df)} {what} to {path}" + (" (replaced the file that was there)" if replaced else "")
        )


def _with_rag_columns(
    df: pd.DataFrame, trials: list[FrozenTrial], *, with_per_question: bool
) -> pd.DataFrame:
    """Columns for what the Tuner recorded (nothing for a plain study): ``metrics_<name>`` per metric,
    ``questions_evaluated``, ``pipeline`` (JSON); ``per_question`` (JSON) only when asked."""
    import pandas as pd

    from ragtune.objectives.results import trial_results

    results = [trial_results(t) for t in trials]
    if not any(results):
        return df
    cols: dict[str, list[Any]] = {}
    names = dict.fromkeys(k for r in results for k in r.metrics)
    for name in names:
        cols[f"metrics_{name}"] = [r.metrics.get(name) for r in results]
    cols["questions_evaluated"] = [r.questions_evaluated if r else None for r in results]
    cols["pipeline"] = [
        json.dumps(r.pipeline, default=str) if r.pipeline is not None else None for r in results
    ]
    if with_per_question:
        cols["per_question"] = [json.dumps(r.per_question_json()) if r else None for r in results]
    return pd.concat([df, pd.DataFrame(cols, index=df.index)], axis=1)


def _write(df: pd.DataFrame, path: Path, fmt: ExportFormat) -> None:
    if fmt is ExportFormat.csv:
        df.to_csv(path, index=False)
    elif fmt is ExportFormat.json:
        df.to_json(path, orient="records", date_format="iso", indent=2)
    else:
        import duckdb

        con = duckdb.connect()
        try:
            con.register("trials", df)
            con.execute(f"COPY trials TO '{_sql_path(path)}' (FORMAT PARQUET)")
        finally:
            con.close()


def _duckdb_error() -> type[Exception]:
    import duckdb

    error: type[Exception] = duckdb.Error
    return error


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def register(app: typer.Typer) -> None:
    app.command("export")(export)

"""``ragtune studies list|show|delete``."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ragtune.cli.common import (
    DEFAULT_STORAGE,
    JsonOpt,
    StorageOpt,
    choice_line,
    open_for_reading,
    open_storage,
    open_study,
    print_json,
    require_study,
    trial_record,
)
from ragtune.cli.errors import reported_errors
from ragtune.core.metric_names import stored_metric_names
from ragtune.core.objective_names import study_objective_names
from ragtune.objectives.results import study_constraints

studies_app = typer.Typer(help="List, show and delete studies.", no_args_is_help=True)


@studies_app.command("list")
def list_studies(storage: StorageOpt = DEFAULT_STORAGE, as_json: JsonOpt = False) -> None:
    """List the studies in a storage."""
    with reported_errors():
        backend = open_for_reading(storage)
        try:
            summaries = backend.get_all_studies()
        finally:
            backend.close()
        rows = [
            {
                "name": s.study_name,
                "directions": [d.label for d in s.directions],
                "objectives": stored_metric_names(s.system_attrs, len(s.directions)),
                "n_trials": s.n_trials,
                "created": s.datetime_start.isoformat() if s.datetime_start else None,
            }
            for s in summaries
        ]
        if as_json:
            print_json(rows)
            return
        table = Table(title=f"studies ({len(rows)})")
        for col in ("name", "objectives", "trials", "created"):
            table.add_column(col)
        for s, r in zip(summaries, rows, strict=True):
            objectives = stored_metric_names(s.system_attrs, len(s.directions)) or [
                d.label for d in s.directions
            ]
            table.add_row(s.study_name, ", ".join(map(str, objectives)), str(s.n_trials), str(r["created"]))
        Console().print(table)


@studies_app.command("show")
def show_study(
    study: Annotated[str, typer.Argument(help="Study name.")],
    storage: StorageOpt = DEFAULT_STORAGE,
    as_json: JsonOpt = False,
) -> None:
    """Show a study: objectives, trial counts by state, Pareto front size."""
    with reported_errors():
        s = open_study(study, storage)
        trials = s.trials
        counts = Counter(t.state.name for t in trials)
        info: dict[str, Any] = {
            "name": s.study_name,
            "objectives": list(study_objective_names(s)),
            "directions": [d.label for d in s.directions],
            "constraints": study_constraints(s.system_attrs),
            "n_trials": len(trials),
            "states": dict(counts),
            "pareto_front": [trial_record(t, list(study_objective_names(s))) for t in s.best_trials],
            "choice": s.system_attrs.get("ragtune:choice") or s.user_attrs.get("ragtune:choice"),
        }
        if as_json:
            print_json(info)
            return
        console = Console()
        console.print(
            f"[bold]{s.study_name}[/bold]  ({len(trials)} trials: "
            + ", ".join(f"{k.lower()} {v}" for k, v in sorted(counts.items()))
            + ")"
        )
        for name, d in zip(info["objectives"], info["directions"], strict=True):
            console.print(f"  objective {name}: {d}")
        for c in info["constraints"]:
            console.print(f"  constraint {c}")
        console.print(f"  Pareto front: {len(info['pareto_front'])} trials (ragtune best {s.study_name})")
        choice = info["choice"]
        if isinstance(choice, dict) and "trial" in choice:
            console.print(escape(f"  chosen trade-off: {choice_line(choice)}"), highlight=False)


@studies_app.command("delete")
def delete_study(
    study: Annotated[str, typer.Argument(help="Study name.")],
    storage: StorageOpt = DEFAULT_STORAGE,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a study and all its trials."""
    import ragtune as rt

    with reported_errors():
        backend = open_storage(storage)
        require_study(backend, study)  # fail early, naming the file
        if not yes and not typer.confirm(f"delete study {study!r} and all its trials?"):
            raise typer.Exit(1)
        rt.delete_study(study_name=study, storage=backend)
        typer.echo(f"deleted study {study!r}")


def register(app: typer.Typer) -> None:
    app.add_typer(studies_app, name="studies")

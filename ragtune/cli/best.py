"""``ragtune best STUDY``: the Pareto front of a study."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ragtune.cli.common import (
    DEFAULT_STORAGE,
    JsonOpt,
    StorageOpt,
    WithPerQuestionOpt,
    fmt,
    objective_names,
    open_study,
    print_json,
    trial_record,
)
from ragtune.cli.errors import reported_errors
from ragtune.core.frozen_trial import FrozenTrial


def front_table(title: str, trials: list[FrozenTrial], names: list[str]) -> Table:
    table = Table(title=title)
    table.add_column("trial", justify="right")
    for n in names:
        table.add_column(n, justify="right")
    table.add_column("params")
    for t in sorted(trials, key=lambda t: t.number):
        values = t.values or ()
        params = ", ".join(f"{k}={fmt(v)}" for k, v in t.params.items())
        table.add_row(str(t.number), *(fmt(v) for v in values), params)
    return table


def best(
    study: Annotated[str, typer.Argument(help="Study name.")],
    storage: StorageOpt = DEFAULT_STORAGE,
    as_json: JsonOpt = False,
    with_per_question: WithPerQuestionOpt = False,
) -> None:
    """Print the Pareto front (feasible, completed trials) of a study."""
    with reported_errors():
        s = open_study(study, storage)
        names = objective_names(s)
        front = s.best_trials
        if as_json:
            print_json(
                {
                    "study": s.study_name,
                    "objectives": names,
                    "directions": [d.label for d in s.directions],
                    "pareto_front": [
                        trial_record(t, names, with_per_question=with_per_question) for t in front
                    ],
                }
            )
            return
        if not front:
            typer.echo(f"study {s.study_name!r} has no completed feasible trial yet")
            return
        Console().print(front_table(f"Pareto front of {s.study_name} ({len(front)} trials)", front, names))


def register(app: typer.Typer) -> None:
    app.command("best")(best)

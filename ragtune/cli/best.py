"""``ragtune best STUDY``: the Pareto front of a study."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ragtune.cli.common import (
    DEFAULT_STORAGE,
    JsonOpt,
    StorageOpt,
    WithPerQuestionOpt,
    choice_line,
    fmt,
    open_study,
    print_json,
    study_choice,
    trial_record,
)
from ragtune.cli.errors import reported_errors
from ragtune.core.frozen_trial import FrozenTrial
from ragtune.core.objective_names import study_objective_names


def front_table(
    title: str, trials: list[FrozenTrial], names: list[str], *, chosen: int | None = None
) -> Table:
    """The front as a table; the ``chosen`` trial (the TUI's choice) is marked with ``*``."""
    table = Table(
        title=title, caption="* the trade-off chosen in ragtune tui" if chosen is not None else None
    )
    table.add_column("trial", justify="right")
    for n in names:
        table.add_column(n, justify="right")
    table.add_column("params")
    for t in sorted(trials, key=lambda t: t.number):
        values = t.values or ()
        params = ", ".join(f"{k}={fmt(v)}" for k, v in t.params.items())
        mark = "*" if t.number == chosen else ""
        table.add_row(f"{mark}{t.number}", *(fmt(v) for v in values), params)
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
        names = list(study_objective_names(s))
        front = s.best_trials
        choice = study_choice(s)
        if as_json:
            print_json(
                {
                    "study": s.study_name,
                    "objectives": names,
                    "directions": [d.label for d in s.directions],
                    "pareto_front": [
                        trial_record(t, names, with_per_question=with_per_question) for t in front
                    ],
                    "choice": choice,
                }
            )
            return
        if not front:
            typer.echo(f"study {s.study_name!r} has no completed feasible trial yet")
            return
        chosen = choice["trial"] if choice else None
        Console().print(
            front_table(f"Pareto front of {s.study_name} ({len(front)} trials)", front, names, chosen=chosen)
        )
        if choice is not None:
            Console(soft_wrap=True).print(escape(f"chosen trade-off: {choice_line(choice)}"), highlight=False)


def register(app: typer.Typer) -> None:
    app.command("best")(best)

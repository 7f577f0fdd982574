"""The ``ragtune`` command: one Typer app, one module per command group."""

from __future__ import annotations

from typing import Annotated

import typer

from ragtune import __version__
from ragtune.cli import best, cache, export, help_format, optimize, report, serve_model, studies, tui, worker
from ragtune.cli.errors import CliState

help_format.install()

app = typer.Typer(
    name="ragtune",
    help="Tune RAG pipelines: optimize, inspect studies, choose a Pareto trade-off.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ragtune {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks on errors.")] = False,
) -> None:
    """ragtune: multi-objective tuning of RAG pipelines."""
    CliState.debug = debug


for _commands in (optimize, worker, studies, best, export, report, cache, tui, serve_model):
    _commands.register(app)


def main() -> None:
    """Console-script entry point."""
    app()

"""``ragtune tui [--storage URL] [STUDY]``: open the terminal UI for choosing a Pareto trade-off."""

from __future__ import annotations

from typing import Annotated

import typer

from ragtune.cli.common import DEFAULT_STORAGE, StorageOpt, open_for_reading, require_study
from ragtune.cli.errors import reported_errors


def tui(
    study: Annotated[
        str | None, typer.Argument(help="Study to open; leave out to pick one from the list of studies.")
    ] = None,
    storage: StorageOpt = DEFAULT_STORAGE,
    refresh: Annotated[
        float,
        typer.Option(
            "--refresh", min=0.0, help="Seconds between re-reads of a running study; 0 turns it off."
        ),
    ] = 2.0,
) -> None:
    """Browse a study's Pareto front, filter it, and choose a trade-off (writes ragtune-choice-STUDY.json)."""
    from ragtune.tui import create_app
    from ragtune.tui.study_reader import duckdb_file

    with reported_errors():
        backend = open_for_reading(storage)
        try:
            if study is not None:
                require_study(backend, study)  # one line naming the file, exit 1, before the screen opens
            app = create_app(
                backend, study, refresh_interval=refresh or None, watch_file=duckdb_file(storage)
            )
            app.run()
        finally:
            backend.close()


def register(app: typer.Typer) -> None:
    """Add the ``tui`` command to the ragtune CLI."""
    app.command("tui")(tui)

"""``ragtune tui [--storage URL] [STUDY]``: open the terminal UI for choosing a Pareto trade-off."""

from __future__ import annotations

from typing import Annotated

import typer

from ragtune.cli.common import DEFAULT_STORAGE, StorageOpt, open_storage
from ragtune.cli.errors import reported_errors
from ragtune.exceptions import StorageURLError
from ragtune.storage.base import Storage
from ragtune.storage.urls import mask_url


def open_for_viewing(url: str) -> Storage:
    """Open ``url``; a DuckDB file that does not exist is an error here, not a new empty database."""
    from ragtune.tui.study_reader import duckdb_file

    path = duckdb_file(url)
    if path is not None and not path.exists():
        hint = (
            "run `ragtune optimize pipeline.py` here first, or pass --storage URL"
            if url == DEFAULT_STORAGE
            else "check the path"
        )
        raise StorageURLError(f"no DuckDB file at {str(path)!r} ({mask_url(url)}); {hint}")
    return open_storage(url)


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
        backend = open_for_viewing(storage)
        try:
            if study is not None:
                backend.get_study_id_from_name(
                    study
                )  # StudyNotFound: one line, exit 1, before the screen opens
            app = create_app(
                backend, study, refresh_interval=refresh or None, watch_file=duckdb_file(storage)
            )
            app.run()
        finally:
            backend.close()


def register(app: typer.Typer) -> None:
    """Add the ``tui`` command to the ragtune CLI."""
    app.command("tui")(tui)

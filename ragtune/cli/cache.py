"""``ragtune cache info|clear``: the content-addressed cache of chunks, embeddings and indexes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ragtune.cli.common import JsonOpt, print_json
from ragtune.cli.errors import reported_errors

cache_app = typer.Typer(
    help="Inspect or clear the cache of chunks, embeddings and indexes.", no_args_is_help=True
)

CacheDirOpt = Annotated[Path, typer.Option("--cache-dir", help="Cache folder (default ./.ragtune/cache).")]


@cache_app.command("info")
def info(cache_dir: CacheDirOpt = Path(".ragtune/cache"), as_json: JsonOpt = False) -> None:
    """Entries and bytes in the cache, per kind."""
    from ragtune.pipelines import Cache

    with reported_errors():
        data = Cache(root=cache_dir).info()
        if as_json:
            print_json(data)
            return
        for key, value in data.items():
            typer.echo(f"{key}: {value}")


@cache_app.command("clear")
def clear(
    cache_dir: CacheDirOpt = Path(".ragtune/cache"),
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete every cache entry (stored trials are not touched)."""
    from ragtune.pipelines import Cache

    with reported_errors():
        if not yes and not typer.confirm(f"delete the cache in {cache_dir}?"):
            raise typer.Exit(1)
        Cache(root=cache_dir).clear()
        typer.echo(f"cleared {cache_dir}")


def register(app: typer.Typer) -> None:
    app.add_typer(cache_app, name="cache")

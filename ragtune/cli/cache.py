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

CacheDirOpt = Annotated[
    Path,
    typer.Option(
        "--cache-dir",
        metavar="DIR",
        help="Cache folder; ragtune optimize keeps it next to the DuckDB file (.ragtune/cache).",
    ),
]


def human_bytes(n: float) -> str:
    """``77.3 MB``: decimal units, as ``du -h --si`` and file managers show them."""
    for unit in ("B", "kB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


def cache_line(root: Path) -> str:
    """One line for the end of a run: where the cache is and how big it is."""
    from ragtune.pipelines import Cache

    data = Cache(root=root).info()
    return (
        f"cache: {human_bytes(data['bytes'])} in {data['entries']} entries at {Path(root).resolve()} "
        f"(limit {human_bytes(data['max_bytes'])}; ragtune cache clear --cache-dir {root} frees it)"
    )


@cache_app.command("info")
def info(cache_dir: CacheDirOpt = Path(".ragtune/cache"), as_json: JsonOpt = False) -> None:
    """Where the cache is, its size, and entries and bytes per kind of stage."""
    from ragtune.pipelines import Cache

    with reported_errors():
        data = Cache(root=cache_dir).info()
        data["root"] = str(Path(cache_dir).resolve())
        if as_json:
            print_json(data)
            return
        exists = Path(cache_dir).is_dir()
        typer.echo(f"cache folder: {data['root']}" + ("" if exists else " (does not exist yet)"))
        typer.echo(
            f"size: {human_bytes(data['bytes'])} in {data['entries']} entries "
            f"(limit {human_bytes(data['max_bytes'])})"
        )
        width = max((len(k) for k in data["kinds"]), default=0)
        for kind, count in data["kinds"].items():
            typer.echo(f"  {kind:<{width}}  {count:>6} entries  {human_bytes(data['kind_bytes'][kind]):>9}")


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

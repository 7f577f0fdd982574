"""How the CLI reports failures: one line on stderr, exit 1 (2 for usage), tracebacks with --debug."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from ragtune.exceptions import RagtuneError
from ragtune.storage.urls import mask_url


class CliState:
    """Global flags set by the root callback."""

    debug: bool = False


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn ragtune errors into a one-line message and exit code 1."""
    try:
        yield
    except RagtuneError as e:
        if CliState.debug:
            raise
        typer.echo(f"error: {mask_url(str(e))}", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        typer.echo("interrupted; finished trials are stored", err=True)
        raise typer.Exit(130) from None


def usage_error(message: str) -> typer.Exit:
    """Print a usage error and return the exit to raise (code 2)."""
    typer.echo(f"usage error: {message}", err=True)
    return typer.Exit(2)

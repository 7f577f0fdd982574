"""The command-line interface (Typer)."""

from __future__ import annotations

__all__ = ["app", "main"]

from ragtune.cli.app import app, main

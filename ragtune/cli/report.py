"""``ragtune report STUDY [-o report.html] [--format html|md]``: a study's charts and tables in one file."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from ragtune.cli.common import DEFAULT_STORAGE, StorageOpt, open_study
from ragtune.cli.errors import reported_errors


class ReportFormat(enum.StrEnum):
    html = "html"
    md = "md"


def report(
    study: Annotated[str, typer.Argument(help="Study name.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Output file (default STUDY-report.html or .md).")
    ] = None,
    fmt: Annotated[
        ReportFormat,
        typer.Option("--format", "-f", help="html: one self-contained file; md: Markdown + SVG files."),
    ] = ReportFormat.html,
    storage: StorageOpt = DEFAULT_STORAGE,
) -> None:
    """Write a report: Pareto front, history, parameter importance, parallel coordinates, the chosen
    trade-off, the best trials and their per-question results. Opens offline (no script, no CDN)."""
    from ragtune.visualization import write_report

    with reported_errors():
        s = open_study(study, storage)
        path = output if output is not None else Path(f"{s.study_name}-report.{fmt.value}")
        written, content = write_report(s, path, format=fmt.value)
        extra = f" (charts in {written.stem}_files/)" if fmt is ReportFormat.md else ""
        typer.echo(f"wrote {written}{extra}: {content.headline}")


def register(app: typer.Typer) -> None:
    app.command("report")(report)

"""``ragtune serve-model PATH``: a local OpenAI-compatible server for a GGUF model (the ``llm`` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ragtune.cli.errors import reported_errors


def serve_model(
    path: Annotated[Path, typer.Argument(help="The .gguf model file.")],
    host: Annotated[str, typer.Option("--host", help="Address to bind (this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port (0: a free one, printed on start).")] = 8080,
    ctx_size: Annotated[
        int, typer.Option("--ctx-size", min=64, help="Context window in tokens (prompt + answer).")
    ] = 2048,
    threads: Annotated[
        int | None, typer.Option("--threads", min=1, help="CPU threads (default: CPU count, at most 4).")
    ] = None,
    alias: Annotated[
        str | None,
        typer.Option("--alias", help="Served model name (default: <file stem>@<sha256 prefix>)."),
    ] = None,
) -> None:
    """Serve a GGUF model at http://HOST:PORT/v1 (completions and chat) until Ctrl-C."""
    from ragtune.pipelines.model_server import run_server

    with reported_errors():
        run_server(path, host=host, port=port, n_ctx=ctx_size, threads=threads, alias=alias)


def register(app: typer.Typer) -> None:
    app.command("serve-model")(serve_model)


__all__ = ["register", "serve_model"]

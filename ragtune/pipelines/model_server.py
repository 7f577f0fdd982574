"""Start and stop a local OpenAI-compatible server for a GGUF file (through xllamacpp, the ``llm`` extra).

One call gives tests, examples and users a real server::

    with serve_model("gemma-3-270m-q4_k_m.gguf") as server:
        reader = readers.OpenAIGenerator(server.base_url, server.model)

The server runs in a child process (``python -m ragtune serve-model PATH --port 0``) bound to
127.0.0.1 on a free port; :meth:`ModelServer.stop` (or leaving the ``with`` block) terminates it, and
the child also exits on its own when its parent dies. The served model name defaults to
``<file stem>@<first 12 hex digits of the file's sha256>``, so the name pins the weights and the
LLM-call cache, keyed by that name, misses when the file changes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from ragtune.exceptions import ConfigError, GeneratorError
from ragtune.pipelines.gguf_file import check_gguf, gguf_fingerprint, import_xllamacpp, server_params

__all__ = ["ANNOUNCE", "ModelServer", "default_alias", "run_server", "serve_model"]

ANNOUNCE = "ragtune: serving "
"""How the child's first stdout line starts: ``ragtune: serving NAME at URL``."""


def default_alias(path: str | os.PathLike[str]) -> str:
    """``<stem>@<sha256[:12]>`` of the model file."""
    p = Path(path)
    return f"{p.stem}@{gguf_fingerprint(p)[:12]}"


def _check_host(host: str) -> None:
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ConfigError(
            f"serve-model binds to this machine only, but got host={host!r}; use 127.0.0.1 (put a reverse "
            "proxy in front to expose it)"
        )


def run_server(
    path: str | os.PathLike[str],
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    n_ctx: int = 2048,
    threads: int | None = None,
    alias: str | None = None,
    announce: IO[str] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Serve ``path`` in this process until SIGTERM/SIGINT, ``stop`` is set, or the parent process dies.

    Writes ``ragtune: serving NAME at http://HOST:PORT/v1`` to ``announce`` (stdout) once ready.
    """
    from ragtune.pipelines.readers.gguf import default_threads

    _check_host(host)
    if not 0 <= port <= 65535:
        raise ConfigError(f"port must be in 0..65535, but got port={port}")
    model = check_gguf(path)
    name = alias or default_alias(model)
    xllamacpp = import_xllamacpp()
    params = server_params(model, n_ctx=n_ctx, threads=threads or default_threads(), port=port, alias=name)
    params.hostnames = [host]
    try:
        engine = xllamacpp.Server(params)
    except Exception as e:
        raise GeneratorError(f"cannot serve {str(model)!r}: {e}") from e
    address = str(engine.listening_address).rstrip("/")
    out = announce if announce is not None else sys.stdout
    out.write(f"{ANNOUNCE}{name} at {address}/v1\n")
    out.flush()
    done = stop or threading.Event()
    parent = os.getppid()

    def _stop(_signum: int, _frame: Any) -> None:
        done.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    try:
        while not done.wait(0.5):
            if os.getppid() != parent:
                break  # whoever started us is gone
    finally:
        del engine


def _drain(stream: IO[str]) -> None:
    with contextlib.suppress(ValueError, OSError):  # closed by stop()
        for _ in stream:
            pass


class ModelServer:
    """A ``ragtune serve-model`` child process; see the module docstring. Use :func:`serve_model`."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        n_ctx: int = 2048,
        threads: int | None = None,
        alias: str | None = None,
        startup_timeout: float = 120.0,
    ) -> None:
        self.path = check_gguf(path)
        self.n_ctx = n_ctx
        self.threads = threads
        self.model = alias or default_alias(self.path)
        """The served model name (pass it as ``model`` to :class:`OpenAIGenerator`)."""
        self.startup_timeout = startup_timeout
        self.base_url = ""
        """``http://127.0.0.1:PORT/v1`` once started."""
        self.process: subprocess.Popen[str] | None = None
        self._log: IO[bytes] | None = None

    def __repr__(self) -> str:
        return f"ModelServer({str(self.path)!r}, model={self.model!r}, base_url={self.base_url!r})"

    def start(self) -> ModelServer:
        """Start the child and wait until it serves (raises GeneratorError naming its last log line)."""
        if self.process is not None:
            return self
        cmd = [
            sys.executable,
            "-m",
            "ragtune",
            "serve-model",
            str(self.path),
            "--port",
            "0",
            "--ctx-size",
            str(self.n_ctx),
            "--alias",
            self.model,
        ]
        if self.threads is not None:
            cmd += ["--threads", str(self.threads)]
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=self._log, stdin=subprocess.DEVNULL, text=True
        )
        line = self._first_line(self.process)
        if not line.startswith(ANNOUNCE):
            self.stop()
            raise GeneratorError(
                f"serve-model {str(self.path)!r} did not start: {line or self._last_log_line()}"
            )
        self.base_url = line.rsplit(" at ", 1)[1].strip()
        # Keep reading what the child prints, so a full pipe never blocks it.
        stdout = self.process.stdout
        assert stdout is not None
        threading.Thread(target=_drain, args=(stdout,), daemon=True).start()
        self._wait_healthy()
        return self

    def _first_line(self, process: subprocess.Popen[str]) -> str:
        got: list[str] = []
        assert process.stdout is not None
        stdout = process.stdout
        reader = threading.Thread(target=lambda: got.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(self.startup_timeout)
        if not got:
            return f"no answer within {self.startup_timeout:g} s"
        return got[0].strip()

    def _wait_healthy(self) -> None:
        health = self.base_url.removesuffix("/v1") + "/health"
        deadline = time.monotonic() + self.startup_timeout
        last = ""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(health, timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError as e:
                last = str(e)
            time.sleep(0.1)
        self.stop()
        raise GeneratorError(
            f"serve-model at {health} is not healthy after {self.startup_timeout:g} s: {last}"
        )

    def _last_log_line(self) -> str:
        if self._log is None:
            return "no log"
        self._log.seek(0)
        lines = [ln.strip() for ln in self._log.read().decode("utf-8", "replace").splitlines() if ln.strip()]
        errors = [ln for ln in lines if "error" in ln.lower()]
        return (errors or lines or ["it exited without a message"])[-1]

    def stop(self) -> None:
        """Terminate the child (SIGTERM, then SIGKILL after 10 s) and wait for it."""
        process, self.process = self.process, None
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(10)
            if process.stdout is not None:
                process.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def __enter__(self) -> ModelServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_model(
    path: str | os.PathLike[str],
    *,
    n_ctx: int = 2048,
    threads: int | None = None,
    alias: str | None = None,
    startup_timeout: float = 120.0,
) -> ModelServer:
    """Start a local OpenAI-compatible server for the GGUF file ``path`` and return it (running)."""
    return ModelServer(
        path, n_ctx=n_ctx, threads=threads, alias=alias, startup_timeout=startup_timeout
    ).start()

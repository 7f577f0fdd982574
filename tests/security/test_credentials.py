"""A password in a storage URL never shows: not in output, logs, exceptions, exported files or the TUI.

Every CLI command and the library calls run against PostgreSQL with a password in the URL (the test
server trusts local connections, so any password is accepted), and against servers that refuse us.
Everything they produce is collected and searched for the password, raw and URL-encoded.
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import textwrap
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

import ragtune as rt
from ragtune.cli.app import app
from ragtune.exceptions import RagtuneError
from ragtune.log import enable_console_logging
from ragtune.samplers import RandomSampler
from ragtune.storage import SQLStorage, mask_url

PASSWORD = "Zq9#s3cr3t@pw:/x"  # URL-special characters, so it appears percent-encoded in URLs
FORMS = (PASSWORD, quote(PASSWORD, safe=""), quote(PASSWORD), "Zq9", "s3cr3t")
runner = CliRunner()

TINY = """
import ragtune as rt
from ragtune.pipelines import Pipeline, chunkers, retrievers

dataset = rt.datasets.load("python-docs")
objectives = ["ndcg@10:max", "latency_p95_ms:min"]

def pipeline(trial):
    size = trial.suggest_int("chunk_size", 256, 1024, step=256)
    return Pipeline(chunker=chunkers.Window(size, 32), retriever=retrievers.BM25(), k=5)
"""


def with_password(url: str, **parts: Any) -> str:
    """``url`` with the password set (and other parts, e.g. database=...), rendered with the password."""
    return sa.make_url(url).set(password=PASSWORD, **parts).render_as_string(hide_password=False)


def assert_clean(text: str, where: str) -> None:
    for form in FORMS:
        assert form not in text, (
            f"the password ({form!r}) shows in {where}: ...{text[max(0, text.find(form) - 200) :][:400]}"
        )


def exception_text(error: BaseException) -> str:
    """The message, repr, args and formatted traceback of an error and of every error chained to it."""
    parts: list[str] = []
    seen: set[int] = set()
    todo: list[BaseException | None] = [error]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        parts += [str(e), repr(e), repr(e.args), *traceback.format_exception(e)]
        todo += [e.__cause__, e.__context__]
    return "\n".join(parts)


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))  # includes the traceback of exc_info records


@pytest.fixture()
def logs() -> Iterator[Records]:
    """Every log record of every logger (ragtune at DEBUG, SQLAlchemy and psycopg included)."""
    handler = Records()
    root = logging.getLogger()
    old_level = root.level
    names = ("ragtune", "sqlalchemy", "sqlalchemy.engine", "sqlalchemy.pool", "psycopg")
    old = {n: logging.getLogger(n).level for n in names}
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for n in names:
        logging.getLogger(n).setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        for n, level in old.items():
            logging.getLogger(n).setLevel(level)
        assert_clean("\n".join(handler.lines), "log records")


@pytest.fixture()
def secret_url(postgres_url: str) -> str:
    return with_password(postgres_url)


def test_mask_url_hides_every_form_of_password() -> None:
    for url in (
        f"postgresql+psycopg://user:{quote(PASSWORD, safe='')}@db.example:5432/runs",
        f"postgresql://user:{quote(PASSWORD, safe='')}@db.example/runs?sslmode=require",
        f"postgresql+psycopg://user@db.example/runs?password={quote(PASSWORD, safe='')}&sslmode=require",
        f"error near postgresql+psycopg://u:{quote(PASSWORD, safe='')}@h/db and mysql://a:{quote(PASSWORD, safe='')}@h",
    ):
        assert_clean(mask_url(url), "mask_url output")
        assert "***" in mask_url(url)


@pytest.mark.postgres
def test_library_objects_and_errors_never_show_the_password(
    secret_url: str, logs: Records, tmp_path: Path
) -> None:
    from ragtune.choice import record_choice

    name = f"creds-{uuid.uuid4().hex[:8]}"
    storage = SQLStorage(secret_url)
    study = rt.create_study(storage=storage, study_name=name, sampler=RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    texts = [
        repr(study),
        repr(storage),
        storage.describe(),
        str(study.trials),
        study.trials_dataframe().to_csv(),
    ]
    choice = record_choice(study, study.best_trial.number, path=tmp_path / "choice.json")
    texts.append(choice.read_text())
    texts.append(json.dumps(study.system_attrs, default=str))
    for call in (
        lambda: rt.load_study(study_name="nope", storage=secret_url),
        lambda: study.tell(0, 1.0),
        lambda: rt.create_study(storage=secret_url, study_name=name),
    ):
        with pytest.raises(RagtuneError) as info:
            call()
        texts.append(exception_text(info.value))
    storage.close()
    for i, text in enumerate(texts):
        assert_clean(text, f"library output #{i}")


def _failing_urls(postgres_url: str) -> dict[str, str]:
    return {
        "no such database": with_password(postgres_url, database="ragtune_no_such_db"),
        "no such role": with_password(postgres_url, username="ragtune_no_such_role"),
        "port refused": with_password(postgres_url, host="127.0.0.1", port=1),
        "unknown host": with_password(postgres_url, host="no-such-host.invalid"),
        "unknown scheme": with_password(postgres_url).replace("postgresql+psycopg", "mysql", 1),
        "other driver": with_password(postgres_url).replace("postgresql+psycopg", "postgresql+asyncpg", 1),
    }


@pytest.mark.postgres
@pytest.mark.parametrize(
    "kind",
    ["no such database", "no such role", "port refused", "unknown host", "unknown scheme", "other driver"],
)
def test_connection_errors_never_show_the_password(postgres_url: str, logs: Records, kind: str) -> None:
    url = _failing_urls(postgres_url)[kind]
    with pytest.raises(RagtuneError) as info:
        rt.create_study(storage=url)
    assert_clean(exception_text(info.value), f"the {kind!r} error and its chain")
    result = runner.invoke(app, ["studies", "list", "--storage", url])
    assert result.exit_code == 1
    assert_clean(result.output + result.stderr, f"`ragtune studies list` output ({kind})")
    debug = runner.invoke(app, ["--debug", "studies", "list", "--storage", url])
    assert debug.exit_code != 0 and debug.exception is not None
    assert_clean(exception_text(debug.exception), f"the --debug traceback ({kind})")


@pytest.mark.postgres
def test_every_cli_command_keeps_the_password_out(
    secret_url: str, logs: Records, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    enable_console_logging(logging.DEBUG)
    pipeline = tmp_path / "tiny.py"
    pipeline.write_text(textwrap.dedent(TINY))
    name = f"cli-creds-{uuid.uuid4().hex[:8]}"
    common = ["--storage", secret_url]
    run = ["--n-trials", "2", "--sampler", "random", "--seed", "1", "--max-questions", "5", "--study", name]
    outputs: list[str] = []
    exported: list[Path] = []

    def ok(*args: str) -> None:
        result = runner.invoke(app, list(args))
        outputs.append(result.output + result.stderr)
        assert result.exit_code == 0, result.output + result.stderr

    ok("optimize", str(pipeline), *common, *run)
    ok("optimize", str(pipeline), *common, *run, "--json")
    ok(
        "worker",
        str(pipeline),
        *common,
        "--study",
        name,
        "--n-trials",
        "1",
        "--sampler",
        "random",
        "--max-questions",
        "5",
    )
    ok("studies", "list", *common)
    ok("studies", "list", *common, "--json")
    ok("studies", "show", name, *common)
    ok("studies", "show", name, *common, "--json")
    ok("best", name, *common)
    ok("best", name, *common, "--json")
    for fmt in ("csv", "json", "parquet"):
        target = tmp_path / f"out.{fmt}"
        ok("export", name, *common, "--format", fmt, "--output", str(target))
        exported.append(target)
    for args in (
        ["best", "nope", *common],
        ["studies", "show", "nope", *common],
        ["export", "nope", *common],
        ["optimize", str(pipeline), *common, *run, "--objective", "ndgc@10"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 1
        outputs.append(result.output + result.stderr)
    ok("studies", "delete", name, *common, "--yes")
    for i, text in enumerate(outputs):
        assert_clean(text, f"CLI output #{i}")
    for path in exported:
        assert_clean(path.read_bytes().decode("utf-8", errors="replace"), f"exported {path.name}")


@pytest.mark.postgres
def test_tui_never_shows_the_password(secret_url: str, logs: Records, tmp_path: Path) -> None:
    from ragtune.tui import create_app

    name = f"tui-creds-{uuid.uuid4().hex[:8]}"
    storage = SQLStorage(secret_url)
    study = rt.create_study(
        storage=storage, study_name=name, directions=["maximize", "minimize"], sampler=RandomSampler(seed=0)
    )
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=5)
    screens: list[str] = []

    async def drive() -> None:
        tui = create_app(secret_url, name, refresh_interval=None, choice_dir=tmp_path)
        async with tui.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            screens.append(tui.export_screenshot())
            await pilot.press("down", "c")
            await pilot.pause()
            screens.append(tui.export_screenshot())
            await pilot.click("#confirm")
            await pilot.pause()
            await pilot.app.workers.wait_for_complete()
            screens.append(tui.export_screenshot())
            await pilot.press("escape")
            await pilot.pause()
            screens.append(tui.export_screenshot())  # the study list

    asyncio.run(drive())
    assert name in screens[0], "the TUI did not show the study"
    for i, svg in enumerate(screens):
        assert_clean(svg, f"TUI screen #{i}")
    choices = list(tmp_path.glob("*.json"))
    assert choices, "the TUI wrote no choice file"
    for path in choices:
        assert_clean(path.read_text(), f"TUI choice file {path.name}")
    assert_clean(json.dumps(study.system_attrs, default=str), "the recorded choice")
    rt.delete_study(study_name=name, storage=storage)
    storage.close()


def test_worker_processes_do_not_get_the_password_on_their_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ragtune.cli.optimize as optimize_cli

    started: list[list[str]] = []

    class FakeProcess:
        returncode = 0

        def __init__(self, cmd: list[str], *args: Any, **kwargs: Any) -> None:
            started.append([str(c) for c in cmd])

        def poll(self) -> int:
            return 0

    monkeypatch.setattr(optimize_cli.subprocess, "Popen", FakeProcess)
    monkeypatch.setattr(optimize_cli, "build_tuner", _no_tuner)
    pipeline = tmp_path / "tiny.py"
    pipeline.write_text(textwrap.dedent(TINY))
    url = f"postgresql+psycopg://user:{quote(PASSWORD, safe='')}@db.example:5432/runs"
    result = runner.invoke(
        app, ["optimize", str(pipeline), "--storage", url, "--workers", "2", "--n-trials", "2"]
    )
    assert len(started) == 2, (result.output + result.stderr, repr(result.exception))
    for cmd in started:
        assert_clean(" ".join(cmd), "a worker's command line")


def _no_tuner(*args: Any, **kwargs: Any) -> Any:
    """A stand-in Tuner with an empty in-memory study (the workers are fakes, nothing connects)."""
    study = rt.create_study(directions=["maximize", "minimize"])
    study.set_metric_names(["ndcg@10", "latency_p95_ms"])

    evaluator = SimpleNamespace(questions=[1], rungs=[1])
    return SimpleNamespace(study=study, evaluator=evaluator)


def test_worker_subprocess_error_output_is_masked(tmp_path: Path) -> None:
    """A real `ragtune worker` process that cannot connect prints one masked line."""
    url = f"postgresql+psycopg://user:{quote(PASSWORD, safe='')}@127.0.0.1:1/runs"
    pipeline = tmp_path / "tiny.py"
    pipeline.write_text(textwrap.dedent(TINY))
    done = subprocess.run(
        [sys.executable, "-m", "ragtune", "worker", str(pipeline), "--study", "s", "--n-trials", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**_env(), "RAGTUNE_STORAGE": url},
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().startswith("error: cannot reach PostgreSQL at 127.0.0.1:1")
    assert_clean(done.stdout + done.stderr, "`ragtune worker` output")


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)
